"""Genesis sessions beside commands: create one, read its state and events, rebuild it from
its events, and append events written by other services (agent proposals)."""

from collections.abc import Mapping
from typing import Any
from uuid import UUID, uuid4

import asyncpg

from infinite_scribe.application.context import RequestContext
from infinite_scribe.application.unit_of_work import read, transaction, with_retries
from infinite_scribe.domain.errors import ConcurrencyConflict, NotFound
from infinite_scribe.domain.genesis import (
    AGGREGATE_TYPE,
    CREATED,
    PROPOSAL_EVENTS,
    GenesisState,
    created,
    evolve,
    replay,
)
from infinite_scribe.persistence import genesis_sessions as sessions
from infinite_scribe.persistence.event_store import EventStore
from shared_types import EventEnvelope, EventMetadata


async def create_session(
    pool: asyncpg.Pool,
    store: EventStore,
    context: RequestContext,
    initial_user_input: Mapping[str, Any] | None,
) -> tuple[GenesisState, EventEnvelope]:
    """Insert the snapshot and append `Genesis.Session.Created` in one transaction."""
    state = GenesisState(session_id=uuid4(), user_id=context.user_id, version=1)
    decided = created(context.user_id, initial_user_input)
    flow_id = uuid4()  # the creation starts its own flow; nothing caused it but the request
    event = EventEnvelope(
        event_type=CREATED,
        aggregate_type=AGGREGATE_TYPE,
        aggregate_id=str(state.session_id),
        aggregate_version=1,
        correlation_id=flow_id,
        causation_id=flow_id,
        payload=decided.payload,
        metadata=context.metadata(),
    )
    async with transaction(pool) as connection:
        await sessions.insert_session(connection, state)
        await store.append(connection, [event])
    return state, event


async def session_state(pool: asyncpg.Pool, session_id: UUID, user_id: UUID) -> GenesisState:
    state = await read(pool, lambda p: sessions.load_snapshot(p, session_id, user_id))
    if state is None:
        raise NotFound("Genesis session not found")
    return state


async def rebuild(pool: asyncpg.Pool, store: EventStore, session_id: UUID) -> GenesisState | None:
    """The session's state computed from `domain_events` alone (what the snapshot must equal)."""
    rows = await store.load(pool, AGGREGATE_TYPE, str(session_id))
    return replay(session_id, ((row.event_type, row.payload) for row in rows))


async def append_session_event(
    pool: asyncpg.Pool,
    store: EventStore,
    session_id: UUID,
    event_type: str,
    payload: dict[str, Any],
    *,
    correlation_id: UUID,
    causation_id: UUID,
    metadata: EventMetadata,
) -> GenesisState:
    """Append one event written by another service (e.g. an agent's `...Proposed`) and move the
    snapshot; a proposal also completes the command that asked for it (its causation id)."""

    async def attempt(number: int) -> GenesisState:
        async with transaction(pool) as connection:
            row = await connection.fetchrow(
                "SELECT user_id FROM genesis_sessions WHERE id = $1", session_id
            )
            if row is None:
                raise NotFound("Genesis session not found")
            state = await sessions.load_snapshot(connection, session_id, row["user_id"])
            assert state is not None
            new_state = evolve(state, event_type, payload)
            event = EventEnvelope(
                event_type=event_type,
                aggregate_type=AGGREGATE_TYPE,
                aggregate_id=str(session_id),
                aggregate_version=new_state.version,
                correlation_id=correlation_id,
                causation_id=causation_id,
                payload=payload,
                metadata=metadata,
            )
            await store.append(connection, [event])
            if event_type in PROPOSAL_EVENTS:
                await connection.execute(
                    "UPDATE command_inbox SET status = 'COMPLETED' "
                    "WHERE id = $1 AND session_id = $2 AND status IN ('RECEIVED', 'PROCESSING')",
                    causation_id,
                    session_id,
                )
            if not await sessions.update_snapshot(connection, state.version, new_state):
                raise ConcurrencyConflict("The session was changed concurrently")
        return new_state

    return await with_retries(attempt)
