"""The write path of every non-HTTP actor (agents): publish one event idempotently by its id,
apply it to the aggregate's snapshot, and complete the command it answers."""

from typing import Any
from uuid import UUID

from infinite_scribe.application.ports.storage import GENESIS_SESSIONS, UnitOfWork
from infinite_scribe.application.retries import with_retries
from infinite_scribe.domain.errors import ConcurrencyConflict, NotFound
from infinite_scribe.domain.genesis import AGGREGATE_TYPE, PROPOSAL_EVENTS, GenesisState, evolve
from shared_types import EventEnvelope, EventMetadata


async def append_session_event(
    uow: UnitOfWork,
    session_id: UUID,
    event_type: str,
    payload: dict[str, Any],
    *,
    correlation_id: UUID,
    causation_id: UUID,
    metadata: EventMetadata,
    event_id: UUID | None = None,
) -> GenesisState:
    """Append one event written by another service (e.g. an agent's `...Proposed`) and move the
    snapshot; a proposal also completes the command that asked for it (its causation id).

    With `event_id` (a redelivered message's id) a repeat is a no-op that returns the current
    state; the same id with other content raises EventIdConflict.
    """

    async def attempt(number: int) -> GenesisState:
        async with uow.transaction() as tx:
            sessions = tx.repository(GENESIS_SESSIONS)
            snapshot = await sessions.load(session_id)
            if snapshot is None:
                raise NotFound("Genesis session not found")
            state = snapshot.state
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
            published = await tx.publish(event, event_id=event_id)
            if not published.is_new:
                return state
            if event_type in PROPOSAL_EVENTS:
                await sessions.complete_command(causation_id, session_id)
            if not await sessions.save(state.version, new_state):
                raise ConcurrencyConflict("The session was changed concurrently")
        return new_state

    return await with_retries(attempt)
