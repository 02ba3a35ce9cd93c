"""Append events outside the application, for tests: the events part of a write (the one way
events are written) in autocommit, then the relay's and the live streams' wake-up."""

from collections.abc import Sequence
from uuid import UUID

import asyncpg

from infinite_scribe.application.ports.writes import Write
from infinite_scribe.domain.genesis import AGGREGATE_TYPE, GenesisState, replay
from infinite_scribe.persistence.event_store import load_events
from infinite_scribe.persistence.outbox.notifier import notify
from infinite_scribe.persistence.writes.composer import WriteComposer
from shared_types import EventEnvelope
from tests.conftest import TEST_TOPIC
from tests.support.memory.tables import Tables

#: The test topic's composer (what the unit of work writes through), for the tests' database
#: only: a composer learns the outbox mode of the database it writes to (decision 4001), so the
#: helpers below, which write to several databases, take a fresh one each time.
COMPOSER = WriteComposer(TEST_TOPIC)


async def write_events(
    executor: asyncpg.Pool | asyncpg.Connection, events: Sequence[EventEnvelope]
) -> list[int]:
    """`events` as the events part of a write on `executor` (in its transaction, if any); no
    wake-up (tests that poll, or that commit later)."""
    return await WriteComposer(TEST_TOPIC).write(executor, Write(events=events))


async def append_events(
    pool: asyncpg.Pool | asyncpg.Connection,
    events: Sequence[EventEnvelope],
    topic: str = TEST_TOPIC,
    *,
    wake: bool = True,
) -> list[int]:
    """Commit `events` (versions set) with their outbox rows; their global ids."""
    ids = await WriteComposer(topic).write(pool, Write(events=events))
    if wake:
        await notify(pool)
    return ids


async def replayed(pool: asyncpg.Pool, session_id: UUID) -> GenesisState | None:
    """The session's state computed from `domain_events` alone (what the snapshot must equal)."""
    rows = await load_events(pool, AGGREGATE_TYPE, str(session_id))
    return replay(session_id, ((row.event_type, row.payload) for row in rows))


def replayed_in_memory(tables: Tables, session_id: UUID) -> GenesisState | None:
    """The same, from the in-memory adapter's event list."""
    events = [e for e in tables.events if e.aggregate_id == str(session_id)]
    return replay(session_id, ((e.event_type, e.payload) for e in events))
