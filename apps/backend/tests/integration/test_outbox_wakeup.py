"""The unit of work wakes the relay after commit, coalesced: no NOTIFY inside the command
transactions, one wake-up after every burst of commits, none for a rollback."""

import asyncio
import time
import uuid

import asyncpg
import pytest

from infinite_scribe.application.ports.writes import Write
from infinite_scribe.persistence.outbox.notifier import OUTBOX_CHANNEL, OutboxNotifier
from infinite_scribe.persistence.repositories import unit_of_work
from infinite_scribe.persistence.writes.composer import WriteComposer
from shared_types import EventEnvelope, EventMetadata
from tests.conftest import TEST_TOPIC


def _event(aggregate: str) -> EventEnvelope:
    return EventEnvelope(
        event_type="Genesis.Session.Created",
        aggregate_type="GENESIS_SESSION",
        aggregate_id=aggregate,
        aggregate_version=1,
        correlation_id=uuid.uuid4(),
        payload={},
        metadata=EventMetadata(user_id="u1", source_service="test", request_id="r1"),
    )


class Listener:
    """A LISTEN connection recording when each notification arrived."""

    def __init__(self) -> None:
        self.times: list[float] = []
        self.arrived = asyncio.Event()

    def __call__(self, *_args: object) -> None:
        self.times.append(time.monotonic())
        self.arrived.set()


async def _listening(pool: asyncpg.Pool, listener: Listener) -> asyncpg.Connection:
    connection = await pool.acquire()
    await connection.add_listener(OUTBOX_CHANNEL, listener)
    return connection


@pytest.mark.parametrize("dedicated", [True, False], ids=["own-connection", "pool"])
async def test_a_burst_of_commits_is_followed_by_a_wakeup_and_notifies_less(
    pool: asyncpg.Pool, database_url: str, dedicated: bool
) -> None:
    uow = unit_of_work(pool, WriteComposer(TEST_TOPIC), database_url if dedicated else None)
    listener = Listener()
    connection = await _listening(pool, listener)
    committing_at: list[float] = []

    async def command() -> None:
        async with uow.transaction() as tx:
            await tx.write(Write(events=[_event(uuid.uuid4().hex)]))
            committing_at.append(time.monotonic())  # just before its commit

    try:
        await asyncio.gather(*(command() for _ in range(40)))
        await uow.notifier.idle()
        deadline = time.monotonic() + 5
        while (not listener.times or listener.times[-1] < max(committing_at)) and (  # noqa: ASYNC110
            time.monotonic() < deadline
        ):
            await asyncio.sleep(0.01)
    finally:
        await connection.remove_listener(OUTBOX_CHANNEL, listener)
        await pool.release(connection)
        await uow.close()
    # Every commit has a wake-up after it (the last one included), with fewer NOTIFYs than
    # commits: the transactions carried none themselves.
    assert listener.times and listener.times[-1] >= max(committing_at)
    assert 1 <= uow.notifier.sent <= 40
    assert 1 <= len(listener.times) <= uow.notifier.sent


async def test_no_wakeup_inside_the_transaction_nor_for_a_rollback(pool: asyncpg.Pool) -> None:
    uow = unit_of_work(pool, WriteComposer(TEST_TOPIC))
    listener = Listener()
    connection = await _listening(pool, listener)
    try:
        with pytest.raises(RuntimeError):
            async with uow.transaction() as tx:
                await tx.write(Write(events=[_event(uuid.uuid4().hex)]))
                raise RuntimeError("roll back")
        async with uow.transaction() as tx:
            await tx.write(Write(events=[_event(uuid.uuid4().hex)]))
            await asyncio.sleep(0.1)
            assert not listener.times  # nothing before the commit
        await asyncio.wait_for(listener.arrived.wait(), 5)
        await uow.notifier.idle()
    finally:
        await connection.remove_listener(OUTBOX_CHANNEL, listener)
        await pool.release(connection)
    assert uow.notifier.sent == 1  # the rolled-back transaction woke nobody


async def test_a_failed_notify_is_dropped_not_raised(database_url: str) -> None:
    from infinite_scribe.persistence.database import create_pool

    closed = await create_pool(database_url, min_size=1, max_size=1)
    await closed.close()
    notifier = OutboxNotifier(closed)
    notifier.committed()
    await notifier.idle()
    assert notifier.sent == 0


async def test_a_lost_notify_connection_is_reopened(pool: asyncpg.Pool, database_url: str) -> None:
    uow = unit_of_work(pool, WriteComposer(TEST_TOPIC), database_url)
    listener = Listener()
    connection = await _listening(pool, listener)
    try:
        async with uow.transaction() as tx:
            await tx.write(Write(events=[_event(uuid.uuid4().hex)]))
        await uow.notifier.idle()
        # The server drops the notifier's connection (restart, failover, idle kill).
        await pool.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = current_database() AND query LIKE '%pg_notify%' "
            "AND pid <> pg_backend_pid()"
        )
        for _ in range(3):  # the first may fail on the dead connection and be dropped
            async with uow.transaction() as tx:
                await tx.write(Write(events=[_event(uuid.uuid4().hex)]))
            await uow.notifier.idle()
        await asyncio.sleep(0.2)
    finally:
        await connection.remove_listener(OUTBOX_CHANNEL, listener)
        await pool.release(connection)
        await uow.close()
    assert uow.notifier.sent >= 3 and len(listener.times) >= 3
