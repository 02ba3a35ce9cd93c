"""Who may open a stream: tickets (single-use across processes, expiring, bound to one
session), bearer tokens, and the errors for everything else (never a 500)."""

import asyncio
import uuid

import asyncpg
import httpx

from infinite_scribe.settings.settings import Settings
from tests.conftest import LiveServer
from tests.support.sse_client import (
    STREAM,
    TICKETS,
    auth,
    client,
    new_session,
    open_stream,
    stream_server,
    stream_settings,
)

__all__ = ["stream_server", "stream_settings"]


async def ticket_for(http: httpx.AsyncClient, headers: dict[str, str], session: str) -> str:
    response = await http.post(TICKETS, json={"context_id": session}, headers=headers)
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["context_id"] == session
    assert body["stream_url"].startswith("/api/v1/events/stream?context_id=")
    return str(body["ticket"])


async def test_ticket_opens_the_stream_once(
    stream_server: LiveServer, stream_settings: Settings
) -> None:
    headers = auth(stream_settings, uuid.uuid4())
    async with client(stream_server) as http:
        session = await new_session(http, headers)
        ticket = await ticket_for(http, headers, session)
        async with open_stream(http, session, ticket=ticket) as stream:  # no header at all
            assert (await stream.next()).retry == 1500
    # Another client (a leaked URL, without the browser's stream grant) cannot reuse it.
    async with client(stream_server) as other:
        again = await other.get(STREAM, params={"context_id": session, "ticket": ticket})
    assert again.status_code == 401
    assert again.json()["error_code"] == "TICKET_USED"


async def test_ticket_is_single_use_under_a_race_across_api_processes(
    stream_server: LiveServer, stream_settings: Settings
) -> None:
    """Twenty clients race one ticket against two API instances (each with its own pool and
    hub): exactly one stream opens."""
    headers = auth(stream_settings, uuid.uuid4())
    async with client(stream_server) as http:
        session = await new_session(http, headers)
        ticket = await ticket_for(http, headers, session)
    second = LiveServer(stream_settings)
    second.server.config.timeout_graceful_shutdown = 1
    second.start()

    async def attempt(server: LiveServer) -> int:
        async with (
            client(server) as racer,
            racer.stream("GET", STREAM, params={"context_id": session, "ticket": ticket}) as r,
        ):
            return r.status_code

    try:
        servers = [stream_server, second] * 10
        statuses = await asyncio.gather(*(attempt(server) for server in servers))
    finally:
        second.stop()
    assert sorted(statuses) == [200] + [401] * 19


async def test_expired_unknown_and_foreign_tickets(
    stream_server: LiveServer, stream_settings: Settings, pool: asyncpg.Pool
) -> None:
    headers = auth(stream_settings, uuid.uuid4())
    async with client(stream_server) as http:
        session = await new_session(http, headers)
        other = await new_session(http, headers)
        expired = await ticket_for(http, headers, session)
        await pool.execute("UPDATE stream_tickets SET expires_at = now() - interval '1 second'")
        foreign = await ticket_for(http, headers, other)
        cases = {
            expired: (session, 401, "TICKET_EXPIRED"),
            "not-a-ticket": (session, 401, "INVALID_TICKET"),
            foreign: (session, 404, "NOT_FOUND"),  # issued for another session
        }
        for ticket, (context, status, code) in cases.items():
            response = await http.get(STREAM, params={"context_id": context, "ticket": ticket})
            assert response.status_code == status, response.text
            assert response.json()["error_code"] == code
        # The foreign ticket was not spent by the wrong use: it still opens its own session.
        async with open_stream(http, other, ticket=foreign) as stream:
            await stream.next()


async def test_other_users_session_is_not_found(
    stream_server: LiveServer, stream_settings: Settings
) -> None:
    owner = auth(stream_settings, uuid.uuid4())
    stranger = auth(stream_settings, uuid.uuid4())
    async with client(stream_server) as http:
        session = await new_session(http, owner)
        ticket = await http.post(TICKETS, json={"context_id": session}, headers=stranger)
        assert ticket.status_code == 404
        stream = await http.get(STREAM, params={"context_id": session}, headers=stranger)
        assert stream.status_code == 404
        assert stream.json()["error_code"] == "NOT_FOUND"
        missing = await http.get(STREAM, params={"context_id": str(uuid.uuid4())}, headers=owner)
        assert missing.status_code == 404


async def test_bad_requests_are_clear_4xx(
    stream_server: LiveServer, stream_settings: Settings
) -> None:
    headers = auth(stream_settings, uuid.uuid4())
    async with client(stream_server) as http:
        session = await new_session(http, headers)
        cases = [
            ({"context_id": "not-a-uuid"}, headers, 422),
            ({}, headers, 422),
            ({"context_id": session}, {}, 401),
            ({"context_id": session}, {"Authorization": "Bearer junk"}, 401),
            ({"context_id": session, "last_event_id": "-1"}, headers, 422),
            ({"context_id": session, "last_event_id": str(2**63)}, headers, 422),
            ({"context_id": session}, headers | {"Last-Event-ID": "12abc"}, 422),
            ({"context_id": session}, headers | {"Last-Event-ID": "9" * 30}, 422),
            ({"context_id": session, "ticket": "x" * 500}, {}, 422),
        ]
        for params, request_headers, status in cases:
            response = await http.get(STREAM, params=params, headers=request_headers)
            assert response.status_code == status, (params, request_headers, response.text)
            assert "error_code" in response.json()
        for body in ({"context_id": "nope"}, {}, {"context_id": session, "extra": 1}):
            response = await http.post(TICKETS, json=body, headers=headers)
            assert response.status_code == 422, response.text
        unauthenticated = await http.post(TICKETS, json={"context_id": session})
        assert unauthenticated.status_code == 401
