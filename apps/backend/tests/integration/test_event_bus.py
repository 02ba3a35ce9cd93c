"""The idempotent event bus against the real database: duplicates, conflicts, races."""

import asyncio
import uuid

import asyncpg
import pytest

from infinite_scribe.domain.errors import EventIdConflict
from infinite_scribe.persistence.event_bus import EventBus
from infinite_scribe.persistence.event_store import EventStore
from shared_types import EventEnvelope, EventMetadata

TOPIC = "domain-events"


def bus() -> EventBus:
    return EventBus(EventStore(TOPIC))


def event(aggregate_id: str, **payload: object) -> EventEnvelope:
    return EventEnvelope(
        event_type="Genesis.Session.FeedbackSubmitted",
        aggregate_type="GENESIS_SESSION",
        aggregate_id=aggregate_id,
        payload={"stage": "WORLDVIEW", **payload},
        metadata=EventMetadata(user_id=str(uuid.uuid4()), source_service="test"),
    )


async def rows(pool: asyncpg.Pool, event_id: uuid.UUID) -> tuple[int, int]:
    events = await pool.fetchval("SELECT count(*) FROM domain_events WHERE event_id = $1", event_id)
    outbox = await pool.fetchval("SELECT count(*) FROM event_outbox WHERE event_id = $1", event_id)
    return int(events), int(outbox)


async def test_publish_appends_event_and_outbox_with_the_next_version(pool: asyncpg.Pool) -> None:
    aggregate = str(uuid.uuid4())
    async with pool.acquire() as connection:
        first = await bus().publish(connection, event(aggregate, feedback="a"))
        second = await bus().publish(connection, event(aggregate, feedback="b"))
    assert (first.aggregate_version, second.aggregate_version) == (1, 2)
    assert await rows(pool, first.event_id) == (1, 1)
    payload = await pool.fetchval(
        "SELECT payload FROM event_outbox WHERE event_id = $1", second.event_id
    )
    assert payload["aggregate_version"] == 2 and payload["payload"]["feedback"] == "b"


async def test_same_event_id_same_content_returns_the_existing_event(pool: asyncpg.Pool) -> None:
    aggregate, event_id = str(uuid.uuid4()), uuid.uuid4()
    async with pool.acquire() as connection:
        first = await bus().publish(connection, event(aggregate, feedback="x"), event_id=event_id)
        # A redelivery: new metadata and time, same event and content.
        again = await bus().publish(connection, event(aggregate, feedback="x"), event_id=event_id)
    assert again.event_id == first.event_id == event_id
    assert again.aggregate_version == first.aggregate_version == 1
    assert again.payload == first.payload
    assert await rows(pool, event_id) == (1, 1)


async def test_same_event_id_other_content_is_refused(pool: asyncpg.Pool) -> None:
    aggregate, event_id = str(uuid.uuid4()), uuid.uuid4()
    async with pool.acquire() as connection:
        await bus().publish(connection, event(aggregate, feedback="x"), event_id=event_id)
        with pytest.raises(EventIdConflict) as raised:
            await bus().publish(connection, event(aggregate, feedback="y"), event_id=event_id)
    assert raised.value.error_code == "EVENT_ID_CONFLICT"
    assert await rows(pool, event_id) == (1, 1)


async def test_publish_joins_the_callers_transaction(pool: asyncpg.Pool) -> None:
    aggregate, event_id = str(uuid.uuid4()), uuid.uuid4()
    async with pool.acquire() as connection:
        transaction = connection.transaction()
        await transaction.start()
        await bus().publish(connection, event(aggregate), event_id=event_id)
        await transaction.rollback()
    assert await rows(pool, event_id) == (0, 0)


@pytest.mark.slow
@pytest.mark.parametrize("same_content", [True, False])
async def test_two_concurrent_publishes_of_one_id_write_one_event(
    pool: asyncpg.Pool, same_content: bool
) -> None:
    aggregate, event_id = str(uuid.uuid4()), uuid.uuid4()
    first_in = asyncio.Event()
    async with pool.acquire() as one, pool.acquire() as two:

        async def winner() -> EventEnvelope:
            async with one.transaction():
                published = await bus().publish(
                    one, event(aggregate, feedback="x"), event_id=event_id
                )
                first_in.set()
                await asyncio.sleep(0.5)  # the loser now waits on the unique index
                # The loser's transaction goes on after its savepoint rolled back.
                return published

        async def loser() -> EventEnvelope:
            await first_in.wait()
            async with two.transaction():
                content = "x" if same_content else "y"
                published = await bus().publish(
                    two, event(aggregate, feedback=content), event_id=event_id
                )
                await two.execute("SELECT 1")  # still usable: the savepoint kept it alive
                return published

        results = await asyncio.gather(winner(), loser(), return_exceptions=True)
    assert isinstance(results[0], EventEnvelope)
    if same_content:
        assert isinstance(results[1], EventEnvelope)
        assert results[1].event_id == event_id and results[1].aggregate_version == 1
    else:
        assert isinstance(results[1], EventIdConflict)
    assert await rows(pool, event_id) == (1, 1)


async def test_a_duplicate_does_not_abort_the_callers_transaction(pool: asyncpg.Pool) -> None:
    aggregate, event_id = str(uuid.uuid4()), uuid.uuid4()
    async with pool.acquire() as connection:
        await bus().publish(connection, event(aggregate), event_id=event_id)
        async with connection.transaction():
            duplicate = event(aggregate).model_copy(update={"aggregate_version": 1})
            assert (
                await bus().publish(connection, duplicate, event_id=event_id)
            ).event_id == event_id
            later = await bus().publish(connection, event(aggregate, feedback="next"))
        assert later.aggregate_version == 2
    assert await rows(pool, later.event_id) == (1, 1)
