"""Issue 9's reproductions against the real server process (`scribe api`): the limits live in
the HTTP protocol and the middleware stack, so they are attacked over sockets, and the memory
ones measure the server's RSS."""

import socket
import threading
import time
import uuid
from collections.abc import Iterator

import asyncpg
import httpx
import jwt
import pytest

from infinite_scribe.settings.settings import Settings
from tests.conftest import make_token
from tests.support.hostile_server import (
    READ_TIMEOUT_SECONDS,
    ApiProcess,
    PeakRss,
    api_process,
    chunks,
    read_answer,
    send_then_read,
    status_of,
)

pytestmark = pytest.mark.slow

SESSIONS = "/api/v1/genesis/sessions"
CHUNKED_HEAD = (
    b"POST /api/v1/genesis/sessions HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n"
    b"Transfer-Encoding: chunked\r\n"
)


@pytest.fixture(scope="module")
def server(settings: Settings) -> Iterator[ApiProcess]:
    with api_process(settings) as running:
        yield running


@pytest.fixture
def fresh_server(settings: Settings) -> Iterator[ApiProcess]:
    """A server of its own: an RSS figure is only meaningful from a fresh process."""
    with api_process(settings) as running:
        yield running


def _parallel(count: int, attack: object) -> list[bytes]:
    answers: list[bytes] = []
    threads = [
        threading.Thread(target=lambda: answers.append(attack()))  # type: ignore[operator]
        for _ in range(count)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    return answers


async def _sessions_of(pool: asyncpg.Pool, user_id: uuid.UUID) -> int:
    count: int = await pool.fetchval(
        "SELECT count(*) FROM genesis_sessions WHERE user_id = $1", user_id
    )
    return count


def test_parallel_chunked_unauthenticated_bodies_keep_memory_bounded(
    fresh_server: ApiProcess,
) -> None:
    server = fresh_server
    # Reproduction 1: 40 x 20 MB chunked, no token (was 147 -> 1,009 MB).
    with PeakRss(server) as rss:
        answers = _parallel(
            40, lambda: send_then_read(server.port, CHUNKED_HEAD + b"\r\n", chunks(20 * 2**20))
        )
    growth = rss.peak - rss.before
    print(f"chunked bodies: RSS {rss.before:.0f} -> peak {rss.peak:.0f} MB")
    assert growth < 150, (rss.before, rss.peak)
    # Cut off mid-upload: the 413 or a reset, never the 401/422/201 of a body read whole.
    assert {status_of(answer) for answer in answers} <= {0, 413}


def test_a_chunked_body_over_the_limit_is_413_with_the_error_body(server: ApiProcess) -> None:
    answer = send_then_read(server.port, CHUNKED_HEAD + b"\r\n", chunks(int(1.5 * 2**20)))
    assert status_of(answer) == 413, answer[:300]
    assert b'"error_code":"PAYLOAD_TOO_LARGE"' in answer
    assert b"x-request-id:" in answer.lower()


async def test_a_big_keyless_chunked_body_is_not_stored(
    server: ApiProcess, settings: Settings, pool: asyncpg.Pool
) -> None:
    user_id = uuid.uuid4()
    token = make_token(settings, user_id).encode()
    text = b"x" * (10 * 2**20)
    body = b'{"initial_user_input": {"text": "' + text + b'"}}'

    def pieces() -> Iterator[bytes]:
        for start in range(0, len(body), 65536):
            piece = body[start : start + 65536]
            yield b"%x\r\n" % len(piece) + piece + b"\r\n"
        yield b"0\r\n\r\n"

    head = CHUNKED_HEAD + b"Authorization: Bearer " + token + b"\r\n\r\n"
    answer = send_then_read(server.port, head, pieces())
    assert status_of(answer) in (0, 413), answer[:300]
    assert await _sessions_of(pool, user_id) == 0


def test_huge_header_lines_keep_memory_bounded(fresh_server: ApiProcess) -> None:
    server = fresh_server
    # Reproduction 2: 10 connections x a 50 MB header line (was 118 -> 694 MB, and a 200).
    head = b"GET /api/v1/health HTTP/1.1\r\nHost: t\r\nX-Big: "
    line = (b"a" * 65536 for _ in range(50 * 16))
    with PeakRss(server) as rss:
        answers = _parallel(10, lambda: send_then_read(server.port, head, iter(line)))
    print(f"header lines: RSS {rss.before:.0f} -> peak {rss.peak:.0f} MB")
    assert rss.peak - rss.before < 50, (rss.before, rss.peak)
    assert {status_of(answer) for answer in answers} <= {0, 431}


@pytest.mark.parametrize(
    ("extra", "code"),
    [
        (b"X-Big: " + b"a" * 40_000 + b"\r\n", b"HEADERS_TOO_LARGE"),
        (b"".join(b"X-H%d: 1\r\n" % n for n in range(150)), b"TOO_MANY_HEADERS"),
    ],
)
def test_oversized_heads_are_431(server: ApiProcess, extra: bytes, code: bytes) -> None:
    head = b"GET /api/v1/health HTTP/1.1\r\nHost: t\r\n" + extra + b"\r\n"
    answer = send_then_read(server.port, head, iter(()))
    assert status_of(answer) == 431, answer[:300]
    assert code in answer


@pytest.mark.parametrize(
    "request_start",
    [
        b"GET /api/v1/health HTTP/1.1\r\nHost: t\r\n",  # a head that never ends
        b"POST /api/v1/genesis/sessions HTTP/1.1\r\nHost: t\r\nContent-Length: 100\r\n\r\n{",
    ],
)
def test_a_request_that_trickles_in_is_408(server: ApiProcess, request_start: bytes) -> None:
    started = time.monotonic()
    with socket.create_connection(("127.0.0.1", server.port)) as sock:
        sock.sendall(request_start)
        answer = read_answer(sock, timeout=READ_TIMEOUT_SECONDS + 5)
    assert status_of(answer) == 408, answer[:300]
    assert b'"error_code":"REQUEST_TIMEOUT"' in answer
    assert time.monotonic() - started < READ_TIMEOUT_SECONDS + 3


async def test_two_authorization_headers_are_400_and_store_nothing(
    server: ApiProcess, settings: Settings
) -> None:
    # Reproduction 4: the route took the first identity, the idempotency key scope the last.
    user_a, user_b = uuid.uuid4(), uuid.uuid4()
    token_a, token_b = make_token(settings, user_a), make_token(settings, user_b)
    key = f"k-{uuid.uuid4()}"
    async with httpx.AsyncClient(base_url=server.url, timeout=30) as client:
        both = [("Authorization", f"Bearer {token_a}"), ("Authorization", f"Bearer {token_b}")]
        for method, path in (("POST", SESSIONS), ("GET", f"{SESSIONS}/{uuid.uuid4()}/state")):
            refused = await client.request(method, path, headers=[*both, ("Idempotency-Key", key)])
            assert refused.status_code == 400, refused.text
            assert refused.json()["error_code"] == "REPEATED_HEADER"
            assert refused.headers["x-request-id"]
        two_keys = [("Authorization", f"Bearer {token_b}"), ("Idempotency-Key", key)]
        two_keys.append(("Idempotency-Key", key))
        assert (await client.post(SESSIONS, headers=two_keys)).status_code == 400
        # B's key was never claimed: B's own request runs, nothing is replayed.
        mine = await client.post(
            SESSIONS, headers={"Authorization": f"Bearer {token_b}", "Idempotency-Key": key}
        )
        assert mine.status_code == 201
        assert "idempotent-replayed" not in mine.headers


@pytest.mark.parametrize("number", ["NaN", "Infinity", "-Infinity", "1e400", "1" + "0" * 30])
async def test_numbers_json_cannot_carry_are_422_naming_the_field(
    server: ApiProcess, settings: Settings, number: str
) -> None:
    # Reproduction 5: these were accepted and stored as null / 0.0.
    headers = {
        "Authorization": f"Bearer {make_token(settings, uuid.uuid4())}",
        "Content-Type": "application/json",
    }
    async with httpx.AsyncClient(base_url=server.url, headers=headers, timeout=30) as client:
        created = await client.post(SESSIONS)
        session_id = created.json()["session_id"]
        body = '{"command_type": "ConfirmStage", "payload": {"data": {"score": NUMBER}}}'
        body = body.replace("NUMBER", number)
        answer = await client.post(f"{SESSIONS}/{session_id}/commands", content=body)
        assert answer.status_code == 422, answer.text
        assert answer.json()["errors"][0]["loc"] == ["body", "payload", "data", "score"]
        opening = '{"initial_user_input": {"ratio": [1, NUMBER]}}'.replace("NUMBER", number)
        answer = await client.post(SESSIONS, content=opening)
        assert answer.status_code == 422, answer.text
        assert answer.json()["errors"][0]["loc"] == ["body", "initial_user_input", "ratio", 1]


async def test_a_token_expiring_in_10_pow_400_is_401(
    server: ApiProcess, settings: Settings
) -> None:
    # Reproduction 6: the token cache crashed with OverflowError (a 500).
    secret = settings.jwt_secret_key.get_secret_value()
    token = jwt.encode({"sub": str(uuid.uuid4()), "exp": 10**400}, secret, algorithm="HS256")
    async with httpx.AsyncClient(base_url=server.url, timeout=30) as client:
        for _ in range(2):  # the second time through the cache
            answer = await client.post(SESSIONS, headers={"Authorization": f"Bearer {token}"})
            assert answer.status_code == 401, answer.text
            assert answer.json()["error_code"] == "INVALID_TOKEN"


async def test_an_idempotency_key_with_a_space_gets_the_same_answer_on_every_route(
    server: ApiProcess, settings: Settings
) -> None:
    headers = {"Authorization": f"Bearer {make_token(settings, uuid.uuid4())}"}
    async with httpx.AsyncClient(base_url=server.url, headers=headers, timeout=30) as client:
        for name in ("Idempotency-Key", "X-Idempotency-Key"):
            created = await client.post(SESSIONS, headers={name: f"open {name}"})
            assert created.status_code == 201, created.text
            session_id = created.json()["session_id"]
            sent = await client.post(
                f"{SESSIONS}/{session_id}/commands",
                json={"command_type": "RequestConceptGeneration", "payload": {}},
                headers={name: f"command {name}"},
            )
            assert sent.status_code == 202, sent.text
        for bad in ("tab\there",):
            refused = [
                await client.post(SESSIONS, headers={"Idempotency-Key": bad}),
                await client.post(
                    f"{SESSIONS}/{session_id}/commands",
                    json={"command_type": "RequestConceptGeneration", "payload": {}},
                    headers={"Idempotency-Key": bad},
                ),
            ]
            assert [r.status_code for r in refused] == [400, 400]


async def test_no_redirect_is_built_from_the_host_header(server: ApiProcess) -> None:
    async with httpx.AsyncClient(base_url=server.url, timeout=30) as client:
        answer = await client.get("/api/v1/health/", headers={"Host": "evil.example"})
    assert answer.status_code == 404
    assert "location" not in answer.headers
    assert answer.json()["error_code"] == "NOT_FOUND"


async def test_an_event_too_large_to_publish_is_413_and_writes_nothing(
    server: ApiProcess, settings: Settings, pool: asyncpg.Pool
) -> None:
    # Reproduction 3: under the body limit, but over the broker's message size once produced:
    # a long text, and numbers JSONB writes out in full (1e300 is 301 digits).
    user_id = uuid.uuid4()
    headers = {"Authorization": f"Bearer {make_token(settings, user_id)}"}
    bodies = [{"text": "x" * 950_000}, {"numbers": [1e300] * 3000}]
    async with httpx.AsyncClient(base_url=server.url, headers=headers, timeout=30) as client:
        for initial in bodies:
            answer = await client.post(SESSIONS, json={"initial_user_input": initial})
            assert answer.status_code == 413, answer.text[:300]
            assert answer.json()["error_code"] == "EVENT_TOO_LARGE"
        fits = await client.post(SESSIONS, json={"initial_user_input": {"text": "x" * 800_000}})
        assert fits.status_code == 201
    assert await _sessions_of(pool, user_id) == 1


def test_bytes_that_are_not_http_get_the_error_body(server: ApiProcess) -> None:
    answer = send_then_read(server.port, b"\x16\x03\x01 not http\r\n\r\n", iter(()))
    assert status_of(answer) == 400, answer[:300]
    assert b'"error_code":"BAD_REQUEST"' in answer
    assert b"x-request-id:" in answer.lower()


def test_a_content_length_over_the_limit_is_413_before_any_body_byte(server: ApiProcess) -> None:
    head = (
        b"POST /api/v1/genesis/sessions HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n"
        b"Content-Length: 20000000\r\n\r\n"
    )
    with socket.create_connection(("127.0.0.1", server.port)) as sock:
        sock.sendall(head)  # and no body at all: the answer cannot wait for it
        answer = read_answer(sock, timeout=READ_TIMEOUT_SECONDS - 0.5)
    assert status_of(answer) == 413, answer[:300]
    assert b'"error_code":"PAYLOAD_TOO_LARGE"' in answer
