"""The fenced outbox switch (issue 36, decision 3500): writers on pooled connections commit
entirely before or entirely after `scribe outbox logical on|off`, so flipping it under load
loses nothing and keeps every key in order on the topic."""

import asyncio
import uuid
from collections.abc import AsyncIterator, Iterator

import asyncpg
import pytest

from infinite_scribe.application.ports.writes import Write
from infinite_scribe.domain.errors import ConcurrencyConflict
from infinite_scribe.persistence import migrate
from infinite_scribe.persistence.database import create_pool
from infinite_scribe.persistence.outbox import slot, switch
from infinite_scribe.persistence.outbox.notifier import notify
from infinite_scribe.persistence.outbox.rows import read_mode
from infinite_scribe.persistence.writes.composer import WriteComposer
from infinite_scribe.settings.settings import Settings
from shared_types import EventEnvelope
from tests.support.events import append_events, write_events
from tests.support.relay import (
    consume,
    envelope,
    first_delivery_order_ok,
    new_topic,
    running_relay,
    wait_for,
)

pytestmark = [pytest.mark.kafka, pytest.mark.slow]


@pytest.fixture
def switch_url(fresh_database: object) -> Iterator[str]:
    url = str(fresh_database())  # type: ignore[operator]
    migrate.upgrade(url)
    yield url

    async def drop() -> None:  # a database with a slot cannot be dropped
        connection = await asyncpg.connect(url)
        try:
            await slot.drop(connection)
        finally:
            await connection.close()

    asyncio.run(drop())


@pytest.fixture
async def switch_pool(switch_url: str) -> AsyncIterator[asyncpg.Pool]:
    # Long-lived pooled connections: the ones an ALTER DATABASE switch never reached.
    pool = await create_pool(switch_url, min_size=8, max_size=8)
    yield pool
    await pool.close()


def _event(key: str, seq: int) -> EventEnvelope:
    return EventEnvelope.model_validate(envelope(key, seq))


class Load:
    """Writers over several keys, each key written by one writer in version order; what was
    acknowledged (committed) is all that counts."""

    def __init__(self, pool: asyncpg.Pool, topic: str) -> None:
        self.pool, self.topic = pool, topic
        self.acknowledged: set[tuple[str, int]] = set()
        self.serialization_failures = 0
        self.stop = asyncio.Event()
        self.progress = asyncio.Condition()

    async def _acknowledge(self, key: str, seq: int) -> None:
        self.acknowledged.add((key, seq))
        async with self.progress:
            self.progress.notify_all()

    async def write(self, keys: list[str]) -> None:
        seq = 0
        while not self.stop.is_set():
            for key in keys:
                await append_events(self.pool, [_event(key, seq)], self.topic)
                await self._acknowledge(key, seq)
            seq += 1

    async def write_repeatable_read(self, key: str) -> None:
        """A writer whose snapshot is taken before its write statement: a switch in between
        makes it fail (40001) and it writes again; it never commits in the old mode."""
        seq = 0
        while not self.stop.is_set():
            try:
                async with (
                    self.pool.acquire() as connection,
                    connection.transaction(isolation="repeatable_read"),
                ):
                    await connection.fetchval("SELECT count(*) FROM outbox_mode")
                    await asyncio.sleep(0)  # let the switch run between snapshot and write
                    await WriteComposer(self.topic).write(
                        connection, Write(events=[_event(key, seq)])
                    )
            except ConcurrencyConflict:  # how the write path reports 40001
                self.serialization_failures += 1
                continue
            await self._acknowledge(key, seq)
            seq += 1

    async def written_more(self, count: int) -> None:
        target = len(self.acknowledged) + count
        async with self.progress:
            await self.progress.wait_for(lambda: len(self.acknowledged) >= target)


async def test_flipping_the_switch_under_load_loses_nothing_and_keeps_each_key_in_order(
    switch_pool: asyncpg.Pool, switch_url: str, settings: Settings, kafka_bootstrap: str
) -> None:
    topic = new_topic(kafka_bootstrap, 6)
    load = Load(switch_pool, topic)
    keys = [f"switch-{uuid.uuid4()}" for _ in range(12)]
    writers = [asyncio.create_task(load.write(keys[n::4])) for n in range(4)]
    writers.append(asyncio.create_task(load.write_repeatable_read(f"rr-{uuid.uuid4()}")))
    handed_over = 0
    try:
        async with running_relay(settings, database_url=switch_url) as relay:
            connection = await asyncpg.connect(switch_url)
            try:
                for _ in range(4):
                    await load.written_more(150)
                    await switch.switch_on(connection)
                    assert await read_mode(connection) == "logical"
                    await load.written_more(150)
                    off = await switch.switch_off(connection)
                    assert off.dropped  # never kept nor dropped with unread messages
                    handed_over += off.handed_over
                await load.written_more(50)
            finally:
                await connection.close()
            load.stop.set()
            await asyncio.gather(*writers)
            total = len(load.acknowledged)
            received = await asyncio.to_thread(consume, kafka_bootstrap, topic, total, 90)
            published = relay.stats.published
    finally:
        load.stop.set()
        for writer in writers:
            writer.cancel()
    delivered = {(m.key, m.value["payload"]["seq"]) for m in received}
    assert load.acknowledged <= delivered, sorted(load.acknowledged - delivered)[:10]
    assert first_delivery_order_ok(received)
    assert not await switch_pool.fetchval(
        "SELECT count(*) FROM event_outbox WHERE status <> 'SENT'"
    )
    duplicates = len(received) - len(delivered)
    print(
        f"\n{total} events acknowledged, {len(received)} deliveries, {duplicates} duplicates "
        f"({duplicates / total:.1%}), {handed_over} handed over by off, "
        f"{load.serialization_failures} repeatable-read writes refused by the fence, "
        f"{published} published by the relay"
    )


async def test_a_repeatable_read_writer_whose_snapshot_predates_the_switch_is_refused(
    switch_pool: asyncpg.Pool, switch_url: str
) -> None:
    key = f"rr-{uuid.uuid4()}"
    connection = await asyncpg.connect(switch_url)
    try:
        async with switch_pool.acquire() as writer:
            transaction = writer.transaction(isolation="repeatable_read")
            await transaction.start()
            await writer.fetchval("SELECT count(*) FROM outbox_mode")  # the snapshot: table
            await switch.switch_on(connection)
            with pytest.raises(ConcurrencyConflict) as refused:
                await write_events(writer, [_event(key, 0)])
            assert isinstance(refused.value.__cause__, asyncpg.SerializationError)
            await transaction.rollback()
            # Written again, it sees the switch: a message, no row.
            await write_events(writer, [_event(key, 0)])
        assert await switch_pool.fetchval("SELECT count(*) FROM event_outbox") == 0
        assert len(slot.messages_of(slot.payloads(await slot.peek(connection, 100)))) == 1
    finally:
        await connection.close()


async def test_a_writer_in_flight_holds_the_switch_until_it_commits(
    switch_pool: asyncpg.Pool, switch_url: str
) -> None:
    """The switch waits for a writer that read the mode; that writer's row is in the table,
    and off hands the slot's message to the table behind nothing it should precede."""
    key = f"held-{uuid.uuid4()}"
    connection = await asyncpg.connect(switch_url)
    try:
        # The slot first: making one waits for every running transaction (ours below too).
        await slot.create(connection)
        async with switch_pool.acquire() as writer:
            transaction = writer.transaction()
            await transaction.start()
            await write_events(writer, [_event(key, 0)])  # table mode, not committed
            flip = asyncio.create_task(switch.switch_on(connection))
            waiting = "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted"
            while not await switch_pool.fetchval(waiting):  # noqa: ASYNC110
                await asyncio.sleep(0.01)
            assert not flip.done()
            await transaction.commit()
            await flip
        await append_events(switch_pool, [_event(key, 1)], wake=False)
        off = await switch.switch_off(connection)
        assert off == switch.Off(handed_over=1, dropped=True)
        rows = await switch_pool.fetch(
            "SELECT payload->'payload'->>'seq' AS seq FROM event_outbox ORDER BY position"
        )
        assert [r["seq"] for r in rows] == ["0", "1"]
    finally:
        await connection.close()


async def test_the_relay_says_which_mode_it_finds(
    switch_pool: asyncpg.Pool, switch_url: str
) -> None:
    assert await switch.describe(switch_pool) == (
        "outbox mode: table (`scribe outbox logical on` switches to the slot)",
        False,
    )
    connection = await asyncpg.connect(switch_url)
    try:
        await switch.switch_on(connection)
        said, warning = await switch.describe(switch_pool)
        assert said.startswith("outbox mode: logical (slot") and not warning
        await slot.drop(connection)  # by hand, as an operator might: the mode stays logical
        said, warning = await switch.describe(switch_pool)
        assert "the slot infinite_scribe_outbox is missing" in said and warning
    finally:
        await connection.close()


async def test_after_on_a_failed_row_holds_its_keys_messages_until_requeued(
    switch_pool: asyncpg.Pool, switch_url: str, settings: Settings, kafka_bootstrap: str
) -> None:
    """The hand-over rule: a key's messages are published only after its earlier rows are
    SENT; a FAILED row keeps them in the table until `requeue`."""
    from infinite_scribe.persistence.outbox import operations

    topic = new_topic(kafka_bootstrap)
    key = f"failed-{uuid.uuid4()}"
    await append_events(switch_pool, [_event(key, 0)], topic, wake=False)
    await switch_pool.execute("UPDATE event_outbox SET status = 'FAILED', attempts = 4")
    connection = await asyncpg.connect(switch_url)
    try:
        await switch.switch_on(connection)
    finally:
        await connection.close()
    await append_events(switch_pool, [_event(key, 1)], topic)  # a message now, not a row
    async with running_relay(settings, database_url=switch_url):
        await wait_for(switch_pool, "SELECT count(*) FROM event_outbox", expected=2, within=30)
        statuses = await switch_pool.fetch(
            "SELECT status::text AS s FROM event_outbox ORDER BY position"
        )
        assert [r["s"] for r in statuses] == ["FAILED", "PENDING"]  # behind the FAILED row
        assert await operations.requeue(switch_pool, row_id=None, all_failed=True) == 1
        await notify(switch_pool)
        received = await asyncio.to_thread(consume, kafka_bootstrap, topic, 2, 30)
    assert [m.value["payload"]["seq"] for m in received] == [0, 1]
