"""The idempotency middleware over real HTTP, against the real database (PostgreSQL store)."""

import asyncio
import uuid
from collections.abc import AsyncIterator, Iterator

import asyncpg
import httpx
import pytest

from infinite_scribe.settings.settings import Settings
from tests.conftest import LiveServer, make_token
from tests.support.idempotency import (
    AUTO_KEY_ROUTES,
    PREFIX,
    build_test_app,
)

LEASE_SECONDS = 3.0


@pytest.fixture(scope="module")
def idem_settings(settings: Settings) -> Settings:
    return settings.model_copy(
        update={
            "idempotency_lease_seconds": LEASE_SECONDS,
            "idempotency_auto_key_routes": AUTO_KEY_ROUTES,
        }
    )


@pytest.fixture(scope="module")
def server(idem_settings: Settings) -> Iterator[LiveServer]:
    with LiveServer(build_test_app(idem_settings)) as running:
        yield running


def client_for(server: LiveServer, settings: Settings, user: uuid.UUID) -> httpx.AsyncClient:
    headers = {"Authorization": f"Bearer {make_token(settings, user)}"}
    return httpx.AsyncClient(base_url=server.url, headers=headers, timeout=30)


@pytest.fixture
async def client(
    server: LiveServer, idem_settings: Settings, user_id: uuid.UUID
) -> AsyncIterator[httpx.AsyncClient]:
    async with client_for(server, idem_settings, user_id) as http:
        yield http


async def executions(pool: asyncpg.Pool, title: str) -> int:
    return int(await pool.fetchval("SELECT count(*) FROM novels WHERE title = $1", title))


async def _until_claimed(pool: asyncpg.Pool, key: str) -> None:
    for _ in range(400):
        if await pool.fetchval("SELECT 1 FROM idempotency_cache WHERE key = $1", key):
            return
        await asyncio.sleep(0.025)
    raise AssertionError("the slow request never claimed its key")


def fresh() -> str:
    return uuid.uuid4().hex


async def test_replay_returns_the_stored_answer_byte_for_byte(
    client: httpx.AsyncClient, pool: asyncpg.Pool
) -> None:
    title, key = fresh(), fresh()
    first = await client.post(
        f"{PREFIX}/novels", json={"title": title}, headers={"Idempotency-Key": key}
    )
    second = await client.post(
        f"{PREFIX}/novels", json={"title": title}, headers={"X-Idempotency-Key": key}
    )
    assert first.status_code == second.status_code == 201
    assert second.content == first.content
    assert "idempotent-replayed" not in first.headers
    assert second.headers["idempotent-replayed"] == "true"
    for name in ("content-type", "location", "etag"):
        assert second.headers[name] == first.headers[name]
    assert "set-cookie" in first.headers and "set-cookie" not in second.headers
    assert "x-private" not in second.headers
    assert await executions(pool, title) == 1


async def test_without_a_key_every_request_runs(
    client: httpx.AsyncClient, pool: asyncpg.Pool
) -> None:
    title = fresh()
    for _ in range(2):
        assert (await client.post(f"{PREFIX}/novels", json={"title": title})).status_code == 201
    assert await executions(pool, title) == 2


@pytest.mark.slow
async def test_twenty_concurrent_requests_with_one_key_run_once(
    client: httpx.AsyncClient, pool: asyncpg.Pool
) -> None:
    title, key = fresh(), fresh()

    async def one() -> httpx.Response:
        return await client.post(
            f"{PREFIX}/novels",
            json={"title": title},
            headers={"Idempotency-Key": key, "X-Test-Sleep": "0.3"},
        )

    answers = await asyncio.gather(*(one() for _ in range(20)))
    assert await executions(pool, title) == 1
    statuses = sorted(answer.status_code for answer in answers)
    assert set(statuses) <= {201, 409}, statuses
    originals = [
        a for a in answers if a.status_code == 201 and "idempotent-replayed" not in a.headers
    ]
    assert len(originals) == 1
    for answer in answers:
        if answer.status_code == 409:
            assert answer.json()["error_code"] == "IDEMPOTENCY_KEY_IN_USE"
            assert int(answer.headers["retry-after"]) >= 1
        elif answer is not originals[0]:
            assert answer.content == originals[0].content
    # Every request is answered by now: a retry is a replay.
    again = await one()
    assert again.headers["idempotent-replayed"] == "true"
    assert await executions(pool, title) == 1


async def test_same_key_different_body_is_refused(
    client: httpx.AsyncClient, pool: asyncpg.Pool
) -> None:
    key, title = fresh(), fresh()
    headers = {"Idempotency-Key": key}
    assert (
        await client.post(f"{PREFIX}/novels", json={"title": title}, headers=headers)
    ).status_code == 201
    other = await client.post(f"{PREFIX}/novels", json={"title": title + "x"}, headers=headers)
    assert other.status_code == 422
    assert other.json()["error_code"] == "IDEMPOTENCY_KEY_REUSED"
    query = await client.post(f"{PREFIX}/novels?x=1", json={"title": title}, headers=headers)
    assert query.status_code == 422
    assert await executions(pool, title) == 1
    assert await executions(pool, title + "x") == 0


async def test_two_users_with_one_key_run_independently(
    server: LiveServer, idem_settings: Settings, pool: asyncpg.Pool
) -> None:
    key, title = fresh(), fresh()
    bodies = []
    for _ in range(2):
        async with client_for(server, idem_settings, uuid.uuid4()) as http:
            answer = await http.post(
                f"{PREFIX}/novels", json={"title": title}, headers={"Idempotency-Key": key}
            )
            assert answer.status_code == 201
            assert "idempotent-replayed" not in answer.headers
            bodies.append(answer.json()["id"])
    assert bodies[0] != bodies[1]
    assert await executions(pool, title) == 2


async def test_an_error_answer_is_not_stored(client: httpx.AsyncClient, pool: asyncpg.Pool) -> None:
    key, title = fresh(), fresh()
    headers = {"Idempotency-Key": key}
    first = await client.post(f"{PREFIX}/flaky", json={"title": title}, headers=headers)
    assert first.status_code == 409 and first.json()["error_code"] == "TRY_AGAIN"
    retry = await client.post(f"{PREFIX}/flaky", json={"title": title}, headers=headers)
    assert retry.status_code == 201 and "idempotent-replayed" not in retry.headers
    replay = await client.post(f"{PREFIX}/flaky", json={"title": title}, headers=headers)
    assert replay.headers["idempotent-replayed"] == "true"
    assert await executions(pool, title) == 1


async def test_an_exception_frees_the_key(client: httpx.AsyncClient, pool: asyncpg.Pool) -> None:
    key, title = fresh(), fresh()
    # uvicorn drops the connection after an unhandled exception: do not reuse it.
    headers = {"Idempotency-Key": key, "Connection": "close"}
    first = await client.post(f"{PREFIX}/boom", json={"title": title}, headers=headers)
    assert first.status_code == 500
    retry = await client.post(f"{PREFIX}/boom", json={"title": title}, headers=headers)
    assert retry.status_code == 201
    assert await executions(pool, title) == 1


async def test_a_running_request_holds_the_key(
    client: httpx.AsyncClient, pool: asyncpg.Pool
) -> None:
    key, title = fresh(), fresh()
    slow = asyncio.create_task(
        client.post(
            f"{PREFIX}/novels",
            json={"title": title},
            headers={"Idempotency-Key": key, "X-Test-Sleep": "1.5"},
        )
    )
    await _until_claimed(pool, key)
    busy = await client.post(
        f"{PREFIX}/novels", json={"title": title}, headers={"Idempotency-Key": key}
    )
    assert busy.status_code == 409
    assert busy.json()["error_code"] == "IDEMPOTENCY_KEY_IN_USE"
    assert 1 <= int(busy.headers["retry-after"]) <= LEASE_SECONDS
    assert (await slow).status_code == 201
    assert await executions(pool, title) == 1


@pytest.mark.parametrize(
    "key",
    ["", "x" * 256, "caf\u00e9", "tab\there"],
    ids=["empty", "too-long", "non-ascii", "control"],
)
async def test_malformed_keys_are_refused(
    client: httpx.AsyncClient, pool: asyncpg.Pool, key: str
) -> None:
    title = fresh()
    answer = await client.post(
        f"{PREFIX}/novels",
        json={"title": title},
        headers=[("Idempotency-Key", key.encode("utf-8"))],  # type: ignore[list-item]
    )
    assert answer.status_code == 400
    assert answer.json()["error_code"] == "INVALID_IDEMPOTENCY_KEY"
    assert await executions(pool, title) == 0


async def test_two_different_key_headers_are_refused(client: httpx.AsyncClient) -> None:
    answer = await client.post(
        f"{PREFIX}/novels",
        json={"title": fresh()},
        headers={"Idempotency-Key": "a", "X-Idempotency-Key": "b"},
    )
    assert answer.status_code == 400


async def test_a_body_over_the_limit_is_refused_before_claiming(
    client: httpx.AsyncClient, pool: asyncpg.Pool, idem_settings: Settings
) -> None:
    key = fresh()
    big = b'{"title": "' + b"x" * idem_settings.idempotency_max_body_bytes + b'"}'
    sized = await client.post(
        f"{PREFIX}/novels",
        content=big,
        headers={"Idempotency-Key": key, "Content-Type": "application/json"},
    )
    assert sized.status_code == 413
    assert sized.json()["error_code"] == "PAYLOAD_TOO_LARGE"

    async def chunks() -> AsyncIterator[bytes]:
        for start in range(0, len(big), 64 * 1024):
            yield big[start : start + 64 * 1024]

    streamed = await client.post(
        f"{PREFIX}/novels",
        content=chunks(),
        headers={"Idempotency-Key": key, "Content-Type": "application/json"},
    )
    assert streamed.status_code == 413
    assert await pool.fetchval("SELECT count(*) FROM idempotency_cache WHERE key = $1", key) == 0


async def test_unauthenticated_requests_get_401_and_claim_nothing(
    server: LiveServer, pool: asyncpg.Pool
) -> None:
    key = fresh()
    async with httpx.AsyncClient(base_url=server.url) as anonymous:
        answer = await anonymous.post(
            f"{PREFIX}/novels", json={"title": "x"}, headers={"Idempotency-Key": key}
        )
    assert answer.status_code == 401
    assert await pool.fetchval("SELECT count(*) FROM idempotency_cache WHERE key = $1", key) == 0


async def test_auto_key_deduplicates_opted_in_routes_only(
    client: httpx.AsyncClient, pool: asyncpg.Pool
) -> None:
    title = fresh()
    first = await client.post(f"{PREFIX}/auto", json={"title": title})
    second = await client.post(f"{PREFIX}/auto", json={"title": title})
    assert first.status_code == second.status_code == 201
    assert second.headers["idempotent-replayed"] == "true"
    assert second.content == first.content
    assert await executions(pool, title) == 1
    key = await pool.fetchval(
        "SELECT key FROM idempotency_cache WHERE key LIKE 'auto:%' AND response_body = $1",
        first.content,
    )
    assert key is not None and len(key) == len("auto:") + 32
    other = fresh()
    await client.post(f"{PREFIX}/auto", json={"title": other})
    assert await executions(pool, other) == 1


async def test_get_and_unkeyed_requests_pass_through(client: httpx.AsyncClient) -> None:
    health = await client.get("/api/v1/health", headers={"Idempotency-Key": "k"})
    assert health.status_code != 400
