"""The feed never skips an id that commits late, never repeats one, and moves past rollbacks:
a deterministic interleaving, then a real race of concurrent writers against a reader."""

import asyncio
import random
import uuid

import asyncpg
import pytest

from infinite_scribe.persistence.stream.event_feed import PostgresEventFeed
from tests.support.stream import event, write_events


class Rollback(Exception):
    pass


@pytest.fixture
async def feed(database_url: str, pool: asyncpg.Pool) -> PostgresEventFeed:
    feed = PostgresEventFeed(database_url, pool, gap_timeout=60)
    await feed.open()
    yield feed  # type: ignore[misc]
    await feed.close()


async def drain(feed: PostgresEventFeed, sessions: set[str]) -> list[int]:
    ids: list[int] = []
    while True:
        events, _ = await feed.advance(500, sessions)
        ids += [e.id for e in events]
        if len(events) < 500:
            return ids


async def test_late_commit_is_held_back_then_delivered_in_order(
    pool: asyncpg.Pool, feed: PostgresEventFeed
) -> None:
    session = str(uuid.uuid4())
    slow = await pool.acquire()
    slow_tx = slow.transaction()
    await slow_tx.start()
    try:
        [held] = await write_events(slow, [event(session, 1)])  # takes an id, not committed
        async with pool.acquire() as fast, fast.transaction():
            [later] = await write_events(fast, [event(str(uuid.uuid4()), 1)])
        assert later > held
        # The later id is committed and visible, but the earlier one may still commit.
        assert await drain(feed, {session}) == []
        await slow_tx.commit()
    finally:
        await pool.release(slow)
    assert await drain(feed, {session}) == [held, later]


async def test_rolled_back_id_is_skipped_once_its_transaction_ends(
    pool: asyncpg.Pool, feed: PostgresEventFeed
) -> None:
    slow = await pool.acquire()
    slow_tx = slow.transaction()
    await slow_tx.start()
    try:
        await write_events(slow, [event(str(uuid.uuid4()), 1)])
        async with pool.acquire() as fast, fast.transaction():
            [later] = await write_events(fast, [event(str(uuid.uuid4()), 1)])
        assert await drain(feed, set()) == []
        await slow_tx.rollback()
    finally:
        await pool.release(slow)
    assert await drain(feed, set()) == [later]
    assert feed.tracker is not None and feed.tracker.skipped_by_timeout == 0


@pytest.mark.slow
async def test_concurrent_writers_reader_sees_every_committed_id_once(
    pool: asyncpg.Pool, feed: PostgresEventFeed
) -> None:
    """8 writers hold ids open for random times and roll back a fifth of their transactions;
    the reader, polling all the while, must deliver exactly the committed ids, in order."""
    committed: list[int] = []
    rng = random.Random(11)

    async def writer() -> None:
        session = str(uuid.uuid4())
        version = 1
        for _ in range(25):
            count = rng.randint(1, 3)
            try:
                async with pool.acquire() as connection, connection.transaction():
                    ids = await write_events(
                        connection, [event(session, version + n) for n in range(count)]
                    )
                    await asyncio.sleep(rng.uniform(0, 0.02))  # hold the ids open
                    if rng.random() < 0.2:
                        raise Rollback
            except Rollback:
                continue
            committed.extend(ids)
            version += count

    delivered: list[int] = []
    writers = asyncio.gather(*(writer() for _ in range(8)))
    while not writers.done():
        delivered += await drain(feed, set())
        await asyncio.sleep(0.002)
    await writers
    delivered += await drain(feed, set())
    assert len(delivered) == len(set(delivered)), "an id was delivered twice"
    assert delivered == sorted(delivered), "ids out of order"
    assert delivered == sorted(committed), "a committed id was skipped (or a phantom appeared)"
    assert feed.tracker is not None and feed.tracker.skipped_by_timeout == 0


async def test_only_followed_aggregates_events_are_addressed_to_a_stream(
    pool: asyncpg.Pool, feed: PostgresEventFeed
) -> None:
    # Sessions and novels (issue 39: a novel's chapters) have streams; nothing else does.
    session = str(uuid.uuid4())
    other = event(session, 1).model_copy(update={"aggregate_type": "OPERATOR_NOTE"})
    novel = event(session, 1).model_copy(update={"aggregate_type": "NOVEL"})
    async with pool.acquire() as connection, connection.transaction():
        await write_events(connection, [other, event(session, 1), novel])
    events, _ = await feed.advance(500, {session})
    assert [e.session_id for e in events] == ["", session, session]
    assert events[0].data == b"" and events[1].data.startswith(b'{"id":')
    assert b'"aggregate_type":"NOVEL"' in events[2].data
