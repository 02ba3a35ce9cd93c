"""EventStore.append writes events, one outbox row each, and wakes the relay on commit."""

import asyncio
import uuid

import asyncpg
import pytest

from infinite_scribe.domain.errors import ConcurrencyConflict, InvalidEventName
from infinite_scribe.persistence.event_store import OUTBOX_CHANNEL, EventStore, envelope_of
from shared_types import EventEnvelope, EventMetadata
from tests.conftest import TEST_TOPIC


def _event(aggregate: str, version: int, name: str = "Genesis.Session.Created") -> EventEnvelope:
    return EventEnvelope(
        event_type=name,
        aggregate_type="GENESIS_SESSION",
        aggregate_id=aggregate,
        aggregate_version=version,
        correlation_id=uuid.uuid4(),
        payload={"n": version},
        metadata=EventMetadata(user_id="u1", source_service="test", request_id="r1"),
    )


async def test_append_writes_events_and_outbox_rows_and_notifies(pool: asyncpg.Pool) -> None:
    store = EventStore(TEST_TOPIC)
    aggregate = uuid.uuid4().hex
    woken: asyncio.Queue[str] = asyncio.Queue()
    listener = await pool.acquire()

    def on_notify(*args: object) -> None:
        woken.put_nowait(str(args[1]))

    await listener.add_listener(OUTBOX_CHANNEL, on_notify)
    try:
        async with pool.acquire() as connection, connection.transaction():
            ids = await store.append(connection, [_event(aggregate, 1), _event(aggregate, 2)])
            assert woken.empty()  # NOTIFY is delivered on commit, not before
        await asyncio.wait_for(woken.get(), 5)
    finally:
        await listener.remove_listener(OUTBOX_CHANNEL, on_notify)
        await pool.release(listener)
    assert ids == sorted(ids) and len(ids) == 2
    outbox = await pool.fetch(
        "SELECT o.*, e.id AS seq FROM event_outbox o JOIN domain_events e USING (event_id) "
        "WHERE o.key = $1 ORDER BY o.position",
        aggregate,
    )
    assert [row["seq"] for row in outbox] == ids
    assert all(row["topic"] == TEST_TOPIC and row["status"] == "PENDING" for row in outbox)
    assert [row["payload"]["payload"] for row in outbox] == [{"n": 1}, {"n": 2}]
    stored = await store.load(pool, "GENESIS_SESSION", aggregate)
    assert [row.aggregate_version for row in stored] == [1, 2]
    rebuilt = envelope_of(stored[0])
    assert rebuilt.model_dump(mode="json") == outbox[0]["payload"]


async def test_same_version_twice_is_a_concurrency_conflict(pool: asyncpg.Pool) -> None:
    store = EventStore(TEST_TOPIC)
    aggregate = uuid.uuid4().hex
    async with pool.acquire() as connection:
        await store.append(connection, [_event(aggregate, 1)])
        with pytest.raises(ConcurrencyConflict):
            await store.append(connection, [_event(aggregate, 1)])
    count = await pool.fetchval("SELECT count(*) FROM event_outbox WHERE key = $1", aggregate)
    assert count == 1


async def test_invalid_event_name_writes_nothing(pool: asyncpg.Pool) -> None:
    store = EventStore(TEST_TOPIC)
    aggregate = uuid.uuid4().hex
    async with pool.acquire() as connection:
        with pytest.raises(InvalidEventName):
            await store.append(connection, [_event(aggregate, 1, "Genesis.Session.Deleted")])
        with pytest.raises(ValueError, match="aggregate_version"):
            await store.append(
                connection,
                [EventEnvelope(event_type="A.B.Created", aggregate_type="T", aggregate_id="x")],
            )
        assert await store.append(connection, []) == []
    written = await pool.fetchval(
        "SELECT count(*) FROM domain_events WHERE aggregate_id = $1", aggregate
    )
    assert written == 0


async def test_an_agent_actor_survives_the_round_trip(pool: asyncpg.Pool) -> None:
    store = EventStore(TEST_TOPIC)
    aggregate = uuid.uuid4().hex
    by_agent = _event(aggregate, 1).model_copy(update={"actor_id": "agent:concept-writer"})
    by_user = _event(aggregate, 2)
    async with pool.acquire() as connection:
        await store.append(connection, [by_agent, by_user])
    stored = await store.load(pool, "GENESIS_SESSION", aggregate)
    assert envelope_of(stored[0]) == by_agent
    assert envelope_of(stored[1]) == by_user
    assert envelope_of(stored[1]).actor_id == "u1"
