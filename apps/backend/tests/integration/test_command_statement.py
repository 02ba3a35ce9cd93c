"""The command path's statement shape (issue 13): events deferred by the command service are
written in one statement with the version-checked snapshot save; deferred events nobody took are
written before the commit, in order, and never after a rollback."""

import uuid
from dataclasses import replace

import asyncpg
import pytest

from infinite_scribe.application.ports.storage import GENESIS_SESSIONS
from infinite_scribe.domain.genesis import GenesisState
from infinite_scribe.persistence import genesis_sessions as sql
from infinite_scribe.persistence.event_store import EventStore
from infinite_scribe.persistence.repositories import unit_of_work
from shared_types import EventEnvelope, EventMetadata
from tests.conftest import TEST_TOPIC


def _event(aggregate: str, version: int) -> EventEnvelope:
    return EventEnvelope(
        event_type="Genesis.Session.FeedbackSubmitted",
        aggregate_type="GENESIS_SESSION",
        aggregate_id=aggregate,
        aggregate_version=version,
        correlation_id=uuid.uuid4(),
        payload={"n": version},
        metadata=EventMetadata(user_id="u1", source_service="test", request_id="r1"),
    )


async def _session(pool: asyncpg.Pool) -> GenesisState:
    state = GenesisState(session_id=uuid.uuid4(), user_id=uuid.uuid4(), version=1)
    async with pool.acquire() as connection:
        await sql.insert_session(connection, state)
    return state


async def _rows(pool: asyncpg.Pool, aggregate: str) -> tuple[list[int], list[int]]:
    events = await pool.fetch(
        "SELECT aggregate_version FROM domain_events WHERE aggregate_id = $1 ORDER BY id",
        aggregate,
    )
    outbox = await pool.fetch(
        "SELECT (payload->>'aggregate_version')::int AS v FROM event_outbox WHERE key = $1 "
        "ORDER BY position",
        aggregate,
    )
    return [r["aggregate_version"] for r in events], [r["v"] for r in outbox]


async def test_deferred_events_are_written_with_the_snapshot_save(pool: asyncpg.Pool) -> None:
    state = await _session(pool)
    aggregate = str(state.session_id)
    uow = unit_of_work(pool, EventStore(TEST_TOPIC))
    async with uow.transaction() as tx:
        count = "SELECT count(*) FROM domain_events WHERE aggregate_id = $1"
        assert await tx.append([_event(aggregate, 2)], defer=True) == []
        assert await tx.connection.fetchval(count, aggregate) == 0  # not written yet
        saved = await tx.repository(GENESIS_SESSIONS).save(1, replace(state, version=2))
        assert saved
        # Written by the save's statement, inside the transaction (not visible outside yet).
        assert tx.take_deferred() == []
        assert await tx.connection.fetchval(count, aggregate) == 1
    await uow.close()
    assert await _rows(pool, aggregate) == ([2], [2])
    assert (
        await pool.fetchval("SELECT version FROM genesis_sessions WHERE id = $1", state.session_id)
        == 2
    )


async def test_a_moved_snapshot_is_reported_and_nothing_commits(pool: asyncpg.Pool) -> None:
    state = await _session(pool)
    aggregate = str(state.session_id)
    uow = unit_of_work(pool, EventStore(TEST_TOPIC))
    with pytest.raises(RuntimeError):
        async with uow.transaction() as tx:
            await tx.append([_event(aggregate, 2)], defer=True)
            # Version 7 is not the stored one: the merged statement updates no row.
            stale = await tx.repository(GENESIS_SESSIONS).save(7, replace(state, version=8))
            assert stale is False
            raise RuntimeError("the handler raises ConcurrencyConflict here")
    await uow.close()
    assert await _rows(pool, aggregate) == ([], [])


async def test_deferred_events_nobody_took_are_written_before_commit_in_order(
    pool: asyncpg.Pool,
) -> None:
    aggregate = uuid.uuid4().hex
    uow = unit_of_work(pool, EventStore(TEST_TOPIC))
    async with uow.transaction() as tx:
        await tx.append([_event(aggregate, 1)], defer=True)
        await tx.append([_event(aggregate, 2)], defer=True)
        # A plain append writes the deferred ones first, so versions stay in order.
        await tx.append([_event(aggregate, 3)])
        await tx.append([_event(aggregate, 4)], defer=True)
    await uow.notifier.idle()
    assert uow.notifier.sent == 1
    await uow.close()
    assert await _rows(pool, aggregate) == ([1, 2, 3, 4], [1, 2, 3, 4])
