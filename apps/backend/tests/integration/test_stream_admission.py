"""Issue 21, defect 3, against the real server process: live streams are capped per user and
in all (429 with Retry-After), kept below the process's file descriptor limit, and ticket
minting is capped per user."""

import socket
import time
import uuid
from collections.abc import Iterator

import httpx
import pytest

from infinite_scribe.settings.settings import Settings
from tests.conftest import make_token
from tests.support.hostile_server import ApiProcess, api_process, read_response, status_of

pytestmark = pytest.mark.slow

PER_USER, TOTAL, TICKETS = 3, 5, 4


@pytest.fixture(scope="module")
def server(settings: Settings) -> Iterator[ApiProcess]:
    env = {
        "STREAM_MAX_PER_USER": str(PER_USER),
        "STREAM_MAX_TOTAL": str(TOTAL),
        "STREAM_TICKETS_PER_MINUTE": str(TICKETS),
    }
    with api_process(settings, **env) as running:
        yield running


class User:
    def __init__(self, server: ApiProcess, settings: Settings) -> None:
        self.server = server
        self.token = make_token(settings, uuid.uuid4())
        self.headers = {"Authorization": f"Bearer {self.token}"}
        created = httpx.post(f"{server.url}/api/v1/genesis/sessions", headers=self.headers)
        self.session_id = created.json()["session_id"]
        self.streams: list[socket.socket] = []

    def open_stream(self) -> tuple[int, bytes]:
        """Open a stream and keep it open (when admitted); the status and the answer's head."""
        sock = socket.create_connection(("127.0.0.1", self.server.port), timeout=10)
        sock.sendall(
            b"GET /api/v1/events/stream?context_id=%s HTTP/1.1\r\nHost: t\r\n"
            b"Authorization: Bearer %s\r\n\r\n" % (self.session_id.encode(), self.token.encode())
        )
        sock.settimeout(10)
        answer = b""
        while b"\r\n\r\n" not in answer:
            chunk = sock.recv(65536)
            assert chunk, answer
            answer += chunk
        status = status_of(answer)
        if status == 200:
            self.streams.append(sock)
        else:
            answer += read_response(sock, timeout=2)
            sock.close()
        return status, answer

    def close_streams(self) -> None:
        for sock in self.streams:
            sock.close()
        self.streams.clear()


def _reopen_until_admitted(user: User, within: float = 10) -> int:
    """The server notices a closed stream at its next write (a keep-alive at the latest)."""
    deadline = time.monotonic() + within
    while True:
        status, _ = user.open_stream()
        if status == 200 or time.monotonic() > deadline:
            return status
        time.sleep(0.2)


def test_streams_are_capped_per_user_and_in_all(server: ApiProcess, settings: Settings) -> None:
    first, second, third = (User(server, settings) for _ in range(3))
    try:
        assert [first.open_stream()[0] for _ in range(PER_USER)] == [200] * PER_USER
        status, answer = first.open_stream()
        assert status == 429, answer
        assert b"retry-after: 10" in answer.lower() and b"TOO_MANY_STREAMS" in answer
        assert [second.open_stream()[0] for _ in range(TOTAL - PER_USER)] == [200, 200]
        status, answer = third.open_stream()  # the process is full, not this user
        assert status == 429 and b"as many live streams as it may" in answer, answer
        # A closed stream gives its place back.
        first.streams.pop().close()
        assert _reopen_until_admitted(third) == 200
    finally:
        for user in (first, second, third):
            user.close_streams()


def test_ticket_minting_is_capped_per_user(server: ApiProcess, settings: Settings) -> None:
    user, other = User(server, settings), User(server, settings)
    url = f"{server.url}/api/v1/events/stream-tickets"
    minted = [
        httpx.post(url, headers=user.headers, json={"context_id": user.session_id})
        for _ in range(TICKETS + 1)
    ]
    assert [answer.status_code for answer in minted] == [201] * TICKETS + [429]
    refused = minted[-1]
    assert refused.json()["error_code"] == "TOO_MANY_TICKETS"
    assert 1 <= int(refused.headers["retry-after"]) <= 60
    # Another user is not affected.
    mine = httpx.post(url, headers=other.headers, json={"context_id": other.session_id})
    assert mine.status_code == 201


def test_streams_are_admitted_below_the_file_descriptor_limit(settings: Settings) -> None:
    # 400 descriptors, 380 kept free: room for 20 streams, whatever STREAM_MAX_TOTAL says.
    env = {"STREAM_FD_RESERVE": "380", "STREAM_MAX_PER_USER": "1000"}
    with api_process(settings, max_open_files=400, **env) as server:
        user = User(server, settings)
        try:
            statuses = [user.open_stream()[0] for _ in range(21)]
            assert statuses == [200] * 20 + [429], statuses
            health = httpx.get(f"{server.url}/api/v1/health", timeout=10)
            assert health.status_code == 200  # everything else still has descriptors
        finally:
            user.close_streams()
