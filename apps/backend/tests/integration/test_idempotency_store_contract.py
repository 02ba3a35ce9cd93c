"""One contract for every idempotency store: run against PostgreSQL and against Redis."""

import asyncio
import uuid
from collections.abc import AsyncIterator, Iterator

import asyncpg
import httpx
import pytest

from infinite_scribe.application.ports.idempotency import (
    Claimed,
    ClaimRequest,
    IdempotencyStore,
    InUse,
    Mismatch,
    Replay,
    StoredResponse,
)
from infinite_scribe.persistence.idempotency.postgres_store import PostgresIdempotencyStore
from infinite_scribe.persistence.idempotency.redis_store import RedisIdempotencyStore
from infinite_scribe.settings.settings import Settings
from tests.conftest import LiveServer, make_token
from tests.support.idempotency import (
    PREFIX,
    build_test_app,
    start_redis,
)

ANSWER = StoredResponse(201, [("content-type", "application/json")], b'{"id": "\xc3\xa9"}\x00')


@pytest.fixture(scope="module")
def redis_url() -> Iterator[str]:
    yield from start_redis()


@pytest.fixture(params=["postgres", "redis"])
async def store(
    request: pytest.FixtureRequest, database_url: str
) -> AsyncIterator[IdempotencyStore]:
    opened: IdempotencyStore
    if request.param == "postgres":
        opened = await PostgresIdempotencyStore.open(database_url)
    else:
        opened = RedisIdempotencyStore.from_url(request.getfixturevalue("redis_url"))
    try:
        yield opened
    finally:
        await opened.close()


def claim_of(key: str, fingerprint: str = "fp", lease: float = 30, ttl: int = 60) -> ClaimRequest:
    return ClaimRequest("user:contract", key, fingerprint, lease, ttl)


def fresh() -> str:
    return uuid.uuid4().hex


async def test_claim_complete_replay(store: IdempotencyStore) -> None:
    key = fresh()
    first = await store.claim(claim_of(key))
    assert isinstance(first, Claimed)
    assert isinstance(await store.claim(claim_of(key)), InUse)
    assert await store.complete("user:contract", key, first.token, ANSWER, 60)
    replay = await store.claim(claim_of(key))
    assert replay == Replay(ANSWER)


async def test_other_fingerprint_is_a_mismatch(store: IdempotencyStore) -> None:
    key = fresh()
    claimed = await store.claim(claim_of(key))
    assert isinstance(claimed, Claimed)
    assert isinstance(await store.claim(claim_of(key, "other")), Mismatch)
    await store.complete("user:contract", key, claimed.token, ANSWER, 60)
    assert isinstance(await store.claim(claim_of(key, "other")), Mismatch)


async def test_scopes_are_independent(store: IdempotencyStore) -> None:
    key = fresh()
    assert isinstance(await store.claim(claim_of(key)), Claimed)
    other = ClaimRequest("user:someone-else", key, "fp", 30, 60)
    assert isinstance(await store.claim(other), Claimed)


async def test_release_frees_the_key(store: IdempotencyStore) -> None:
    key = fresh()
    claimed = await store.claim(claim_of(key))
    assert isinstance(claimed, Claimed)
    await store.release("user:contract", key, claimed.token)
    assert isinstance(await store.claim(claim_of(key, "another request now")), Claimed)


async def test_in_use_says_when_the_lease_ends(store: IdempotencyStore) -> None:
    key = fresh()
    await store.claim(claim_of(key, lease=20))
    busy = await store.claim(claim_of(key))
    assert isinstance(busy, InUse)
    assert 15 < busy.retry_after <= 20


async def test_an_expired_lease_is_taken_over_and_fences_the_old_holder(
    store: IdempotencyStore,
) -> None:
    key = fresh()
    crashed = await store.claim(claim_of(key, lease=0.3))
    assert isinstance(crashed, Claimed)
    await asyncio.sleep(0.5)
    taker = await store.claim(claim_of(key))
    assert isinstance(taker, Claimed)
    # The old holder wakes up: it can neither store its answer nor free the new claim.
    assert not await store.complete("user:contract", key, crashed.token, ANSWER, 60)
    await store.release("user:contract", key, crashed.token)
    assert isinstance(await store.claim(claim_of(key)), InUse)
    assert await store.complete("user:contract", key, taker.token, ANSWER, 60)
    assert isinstance(await store.claim(claim_of(key)), Replay)


async def test_a_completed_entry_expires(store: IdempotencyStore) -> None:
    key = fresh()
    claimed = await store.claim(claim_of(key, lease=0.2, ttl=1))
    assert isinstance(claimed, Claimed)
    await store.complete("user:contract", key, claimed.token, ANSWER, 1)
    assert isinstance(await store.claim(claim_of(key)), Replay)
    await asyncio.sleep(1.2)
    assert isinstance(await store.claim(claim_of(key, "a new request")), Claimed)


async def test_invalidate_frees_only_a_completed_key(store: IdempotencyStore) -> None:
    key = fresh()
    claimed = await store.claim(claim_of(key))
    assert isinstance(claimed, Claimed)
    assert not await store.invalidate("user:contract", key)  # still running: kept
    await store.complete("user:contract", key, claimed.token, ANSWER, 60)
    assert await store.invalidate("user:contract", key)
    assert not await store.invalidate("user:contract", key)
    assert isinstance(await store.claim(claim_of(key)), Claimed)


async def test_concurrent_claims_have_one_winner(store: IdempotencyStore) -> None:
    key = fresh()
    outcomes = await asyncio.gather(*(store.claim(claim_of(key)) for _ in range(20)))
    assert sum(isinstance(outcome, Claimed) for outcome in outcomes) == 1
    assert all(isinstance(outcome, Claimed | InUse) for outcome in outcomes)


async def test_cleanup_keeps_live_entries(store: IdempotencyStore) -> None:
    live = fresh()
    await store.claim(claim_of(live))
    await store.cleanup(batch_size=10)
    assert isinstance(await store.claim(claim_of(live)), InUse)


@pytest.mark.slow
async def test_http_over_the_redis_store(
    settings: Settings, redis_url: str, pool: asyncpg.Pool
) -> None:
    redis_settings = settings.model_copy(
        update={"idempotency_backend": "redis", "redis_url": redis_url}
    )
    title, key = fresh(), fresh()
    token = make_token(settings, uuid.uuid4())
    headers = {"Authorization": f"Bearer {token}", "Idempotency-Key": key, "X-Test-Sleep": "0.2"}
    with LiveServer(build_test_app(redis_settings)) as server:
        async with httpx.AsyncClient(base_url=server.url, headers=headers, timeout=30) as http:
            answers = await asyncio.gather(
                *(http.post(f"{PREFIX}/novels", json={"title": title}) for _ in range(10))
            )
            replay = await http.post(f"{PREFIX}/novels", json={"title": title})
    originals = [
        a for a in answers if a.status_code == 201 and "idempotent-replayed" not in a.headers
    ]
    assert len(originals) == 1
    assert {a.status_code for a in answers} <= {201, 409}
    assert replay.headers["idempotent-replayed"] == "true"
    assert replay.content == originals[0].content
    assert await pool.fetchval("SELECT count(*) FROM novels WHERE title = $1", title) == 1


async def test_an_unreachable_store_answers_503_and_runs_nothing(
    settings: Settings, pool: asyncpg.Pool
) -> None:
    from infinite_scribe.embedded.kafka import free_port

    dead = settings.model_copy(
        update={"idempotency_backend": "redis", "redis_url": f"redis://127.0.0.1:{free_port()}/0"}
    )
    title = fresh()
    headers = {"Authorization": f"Bearer {make_token(settings, uuid.uuid4())}"}
    with LiveServer(build_test_app(dead)) as server:
        async with httpx.AsyncClient(base_url=server.url, headers=headers, timeout=30) as http:
            answer = await http.post(
                f"{PREFIX}/novels", json={"title": title}, headers={"Idempotency-Key": "k"}
            )
            unkeyed = await http.post(f"{PREFIX}/novels", json={"title": title})
    assert answer.status_code == 503
    assert answer.json()["error_code"] == "IDEMPOTENCY_STORE_UNAVAILABLE"
    assert unkeyed.status_code == 201
    assert await pool.fetchval("SELECT count(*) FROM novels WHERE title = $1", title) == 1
