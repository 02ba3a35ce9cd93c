"""The events part of a write appends events with one outbox row each; the event log reads
them back as they were written."""

import uuid

import asyncpg
import pytest

from infinite_scribe.application.ports.writes import Write
from infinite_scribe.domain.errors import ConcurrencyConflict, InvalidEventName
from infinite_scribe.persistence.event_store import envelope_of, load_events
from infinite_scribe.persistence.writes.composer import WriteComposer
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


async def test_events_are_written_with_one_outbox_row_each_in_order(pool: asyncpg.Pool) -> None:
    aggregate = uuid.uuid4().hex
    events = [_event(aggregate, 1), _event(aggregate, 2)]
    ids = await WriteComposer(TEST_TOPIC).write(pool, Write(events=events))
    assert ids == sorted(ids) and len(ids) == 2
    outbox = await pool.fetch(
        "SELECT o.*, e.id AS seq FROM event_outbox o JOIN domain_events e USING (event_id) "
        "WHERE o.key = $1 ORDER BY o.position",
        aggregate,
    )
    assert [row["seq"] for row in outbox] == ids
    assert all(row["topic"] == TEST_TOPIC and row["status"] == "PENDING" for row in outbox)
    assert [row["payload"]["payload"] for row in outbox] == [{"n": 1}, {"n": 2}]
    stored = await load_events(pool, "GENESIS_SESSION", aggregate)
    assert [row.aggregate_version for row in stored] == [1, 2]
    rebuilt = envelope_of(stored[0])
    assert rebuilt.model_dump(mode="json") == outbox[0]["payload"]


async def test_same_version_twice_is_a_concurrency_conflict(pool: asyncpg.Pool) -> None:
    composer = WriteComposer(TEST_TOPIC)
    aggregate = uuid.uuid4().hex
    await composer.write(pool, Write(events=[_event(aggregate, 1)]))
    with pytest.raises(ConcurrencyConflict):
        await composer.write(pool, Write(events=[_event(aggregate, 1)]))
    count = await pool.fetchval("SELECT count(*) FROM event_outbox WHERE key = $1", aggregate)
    assert count == 1


async def test_invalid_event_name_writes_nothing(pool: asyncpg.Pool) -> None:
    composer = WriteComposer(TEST_TOPIC)
    aggregate = uuid.uuid4().hex
    with pytest.raises(InvalidEventName):
        await composer.write(pool, Write(events=[_event(aggregate, 1, "Genesis.Session.Deleted")]))
    unversioned = EventEnvelope(event_type="A.B.Created", aggregate_type="T", aggregate_id="x")
    with pytest.raises(ValueError, match="aggregate_version"):
        await composer.write(pool, Write(events=[unversioned]))
    written = await pool.fetchval(
        "SELECT count(*) FROM domain_events WHERE aggregate_id = $1", aggregate
    )
    assert written == 0


async def test_an_agent_actor_survives_the_round_trip(pool: asyncpg.Pool) -> None:
    aggregate = uuid.uuid4().hex
    by_agent = _event(aggregate, 1).model_copy(update={"actor_id": "agent:concept-writer"})
    by_user = _event(aggregate, 2)
    await WriteComposer(TEST_TOPIC).write(pool, Write(events=[by_agent, by_user]))
    stored = await load_events(pool, "GENESIS_SESSION", aggregate)
    assert envelope_of(stored[0]) == by_agent
    assert envelope_of(stored[1]) == by_user
    assert envelope_of(stored[1]).actor_id == "u1"
