"""Issue 21, defect 1, against the real server process: a request that arrives on a kept-alive
connection must not be cut by the keep-alive timer armed after the previous answer (uvicorn's
5 s `timeout_keep_alive`)."""

import asyncio
import socket
import time
import uuid
from collections.abc import Iterator

import asyncpg
import httpx
import pytest

from infinite_scribe.settings.settings import Settings
from tests.conftest import make_token
from tests.support.hostile_server import ApiProcess, api_process

pytestmark = pytest.mark.slow

SESSIONS = "/api/v1/genesis/sessions"
#: uvicorn's default keep-alive timeout, which cut the second request of a connection.
KEEP_ALIVE_SECONDS = 5


@pytest.fixture(scope="module")
def server(settings: Settings) -> Iterator[ApiProcess]:
    # A 1 s stream keep-alive, so a live stream writes something every second.
    with api_process(settings, STREAM_KEEPALIVE_SECONDS="1", HTTP_READ_TIMEOUT_SECONDS="30") as s:
        yield s


def _read_response(sock: socket.socket) -> bytes:
    """One whole answer with a Content-Length (the first request's)."""
    data = b""
    while b"\r\n\r\n" not in data:
        data += sock.recv(65536)
    head, _, body = data.partition(b"\r\n\r\n")
    length = next(
        int(line.split(b":", 1)[1])
        for line in head.split(b"\r\n")
        if line.lower().startswith(b"content-length:")
    )
    while len(body) < length:
        body += sock.recv(65536)
    return head


def test_a_stream_opened_second_on_a_connection_lives_past_the_keep_alive(
    server: ApiProcess, settings: Settings
) -> None:
    token = make_token(settings, uuid.uuid4())
    auth = {"Authorization": f"Bearer {token}"}
    session_id = httpx.post(f"{server.url}{SESSIONS}", headers=auth, timeout=30).json()[
        "session_id"
    ]
    with socket.create_connection(("127.0.0.1", server.port), timeout=30) as sock:
        sock.sendall(b"GET /api/v1/health HTTP/1.1\r\nHost: t\r\n\r\n")
        assert b" 200 " in _read_response(sock).split(b"\r\n")[0]
        sock.sendall(
            b"GET /api/v1/events/stream?context_id=%s HTTP/1.1\r\nHost: t\r\n"
            b"Authorization: Bearer %s\r\n\r\n" % (session_id.encode(), token.encode())
        )
        started = time.monotonic()
        received = b""
        sock.settimeout(3)
        while time.monotonic() - started < KEEP_ALIVE_SECONDS + 3:
            chunk = sock.recv(65536)
            assert chunk, f"the stream was cut after {time.monotonic() - started:.1f} s"
            received += chunk
    assert b" 200 " in received.split(b"\r\n")[0]
    assert received.count(b": keep-alive") >= KEEP_ALIVE_SECONDS


async def test_a_slow_command_on_a_reused_connection_is_answered(
    server: ApiProcess, settings: Settings, pool: asyncpg.Pool
) -> None:
    headers = {"Authorization": f"Bearer {make_token(settings, uuid.uuid4())}"}
    # One connection for both requests: the second is sent on the kept-alive one.
    limits = httpx.Limits(max_connections=1)
    async with httpx.AsyncClient(
        base_url=server.url, headers=headers, timeout=30, limits=limits
    ) as client:
        session_id = (await client.post(SESSIONS)).json()["session_id"]
        async with pool.acquire() as holder, holder.transaction():
            # The command waits on this row lock for longer than the keep-alive timeout.
            await holder.execute(
                "SELECT 1 FROM genesis_sessions WHERE id = $1 FOR UPDATE", uuid.UUID(session_id)
            )
            sent = asyncio.create_task(
                client.post(
                    f"{SESSIONS}/{session_id}/commands",
                    json={"command_type": "RequestConceptGeneration", "payload": {}},
                )
            )
            await asyncio.sleep(KEEP_ALIVE_SECONDS + 2)
            assert not sent.done()
        answer = await sent
    assert answer.status_code == 202, answer.text
