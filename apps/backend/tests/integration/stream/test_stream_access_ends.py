"""What a token opens ends with it, and a trashed session is not followed (issue 28, A2/A3),
against the real server process (`scribe api`):

- a stream opened with a token that expires ends within a keep-alive of the expiry, and the
  grant it set lives no longer than the token (a reconnect with it after the expiry is a 401);
- trashing a session ends its open stream after the `Genesis.Session.Trashed` event, and its
  grant, a bearer and a ticket are all refused with 409 SESSION_TRASHED (decision 2802)."""

import asyncio
import hashlib
import time
import uuid
from collections.abc import Iterator

import asyncpg
import httpx
import pytest

from infinite_scribe.settings.settings import Settings
from tests.conftest import make_token
from tests.support.hostile_server import ApiProcess, api_process

STREAM = "/api/v1/events/stream"
SESSIONS = "/api/v1/genesis/sessions"


@pytest.fixture(scope="module")
def server(settings: Settings) -> Iterator[ApiProcess]:
    with api_process(settings, STREAM_KEEPALIVE_SECONDS="0.5") as process:
        yield process


def _grant(response: httpx.Response) -> tuple[str, int]:
    """The grant cookie the stream set: `name=value`, and its Max-Age."""
    header = response.headers["set-cookie"]
    max_age = int(header.split("Max-Age=")[1].split(";")[0])
    return header.split(";")[0], max_age


async def _read_until_closed(response: httpx.Response, within: float) -> bytes:
    body = b""

    async def read() -> None:
        nonlocal body
        async for chunk in response.aiter_bytes():
            body += chunk

    await asyncio.wait_for(read(), within)
    return body


async def test_a_stream_and_its_grant_end_when_the_token_expires(
    server: ApiProcess, settings: Settings
) -> None:
    user = uuid.uuid4()
    lasting = {"Authorization": f"Bearer {make_token(settings, user)}"}
    short = {"Authorization": f"Bearer {make_token(settings, user, ttl=4)}"}
    async with httpx.AsyncClient(base_url=server.url, timeout=30) as http:
        session = (await http.post(SESSIONS, headers=lasting)).json()["session_id"]
        params = {"context_id": session}
        async with http.stream("GET", STREAM, params=params, headers=short) as stream:
            assert stream.status_code == 200
            cookie, max_age = _grant(stream)
            assert max_age <= 4  # not the 12 h a grant lasts otherwise
            opened = time.monotonic()
            await _read_until_closed(stream, 15)  # the server ends it
            assert time.monotonic() - opened < 8
        again = await http.get(STREAM, params=params, headers={"Cookie": cookie})
        assert again.status_code == 401  # the grant died with the token


async def test_a_ticket_carries_its_token_expiry_into_the_grant(
    server: ApiProcess, settings: Settings
) -> None:
    user = uuid.uuid4()
    short = {"Authorization": f"Bearer {make_token(settings, user, ttl=30)}"}
    async with httpx.AsyncClient(base_url=server.url, timeout=30) as http:
        session = (await http.post(SESSIONS, headers=short)).json()["session_id"]
        ticket = await http.post(
            "/api/v1/events/stream-tickets", json={"context_id": session}, headers=short
        )
        assert ticket.status_code == 201
        params = {"context_id": session, "ticket": ticket.json()["ticket"]}
        async with http.stream("GET", STREAM, params=params) as stream:
            assert stream.status_code == 200
            assert _grant(stream)[1] <= 30
    tampered = ticket.json()["ticket"].rsplit(".", 1)[0] + ".9999999999"
    async with httpx.AsyncClient(base_url=server.url, timeout=30) as stranger:  # no grant
        forged = await stranger.get(STREAM, params={"context_id": session, "ticket": tampered})
    assert forged.status_code == 401


async def test_trash_ends_the_stream_and_refuses_every_way_back(
    server: ApiProcess, settings: Settings
) -> None:
    headers = {"Authorization": f"Bearer {make_token(settings, uuid.uuid4())}"}
    async with httpx.AsyncClient(base_url=server.url, headers=headers, timeout=30) as http:
        session = (await http.post(SESSIONS)).json()["session_id"]
        params = {"context_id": session}
        async with http.stream("GET", STREAM, params=params) as stream:
            assert stream.status_code == 200
            cookie, _ = _grant(stream)
            trashed = await http.post(f"{SESSIONS}/{session}/trash")
            assert trashed.status_code == 200, trashed.text
            body = await _read_until_closed(stream, 15)
        assert b"Genesis.Session.Trashed" in body
        refused = [
            await http.get(STREAM, params=params),
            await http.get(STREAM, params=params, headers={"Cookie": cookie}),
            await http.post("/api/v1/events/stream-tickets", json={"context_id": session}),
        ]
        assert [r.status_code for r in refused] == [409, 409, 409]
        assert {r.json()["error_code"] for r in refused} == {"SESSION_TRASHED"}
        restored = await http.post(f"{SESSIONS}/{session}/restore")
        assert restored.status_code == 200
        async with http.stream("GET", STREAM, params=params) as stream:
            assert stream.status_code == 200


async def test_a_ticket_minted_before_tickets_carried_their_bound_is_a_401(
    server: ApiProcess, settings: Settings, pool: asyncpg.Pool
) -> None:
    """One minted by the previous version (no `.until`) in a deploy's first minute: refused
    as not valid, never a 500; the client mints a new one."""
    headers = {"Authorization": f"Bearer {make_token(settings, uuid.uuid4())}"}
    async with httpx.AsyncClient(base_url=server.url, headers=headers, timeout=30) as http:
        session = (await http.post(SESSIONS)).json()["session_id"]
        user = await pool.fetchval(
            "SELECT user_id FROM genesis_sessions WHERE id = $1", uuid.UUID(session)
        )
        old = "an-old-ticket-without-its-bound"
        await pool.execute(
            "INSERT INTO stream_tickets (ticket_hash, user_id, session_id, expires_at) "
            "VALUES ($1, $2, $3, now() + interval '1 minute')",
            hashlib.sha256(old.encode()).digest(),
            user,
            uuid.UUID(session),
        )
    async with httpx.AsyncClient(base_url=server.url, timeout=30) as browser:
        answer = await browser.get(STREAM, params={"context_id": session, "ticket": old})
    assert answer.status_code == 401 and answer.json()["error_code"] == "INVALID_TICKET"
