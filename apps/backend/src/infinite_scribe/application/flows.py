"""Pause and resume of generation flows on `flow_resume_handles` (docs/flows.md).

- The agent writes its proposal with the pause (`pause_with`, issue 40): the handle inserted
  PAUSED and its `Genesis.Session.FlowPaused` event in the proposal's own statement. A reply can
  only find the handle once that committed, so it finds it PAUSED. Handles written
  PENDING_PAUSE (a `FlowHandleRow` without `handle_id`: rows already in databases, tests) are
  landed by `pause_landed`: PAUSED and FlowPaused, or, when the writer's reply already came,
  RESUMED and `Genesis.Session.FlowResumed` (the early resume is consumed, not lost).
- The writer's reply resumes it (`resume_in`, inside the reply command's transaction): RESUMED
  and `FlowResumed` when PAUSED; the reply kept in `resume_payload` when still PENDING_PAUSE.
- The sweeper lands pauses whose worker died (`settle`) and expires waiting handles past their
  time (`expire_due`): EXPIRED and `Genesis.Session.FlowExpired`.

Every move takes the handle's row lock in one transaction with the event it causes, so exactly
one FlowResumed is written per handle, whatever the order of pause and reply.
"""

import uuid
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

from infinite_scribe.application.aggregates import Change, Origin
from infinite_scribe.application.genesis_commands import SESSIONS
from infinite_scribe.application.ports.flows import FLOW_HANDLES, FlowHandle, FlowHandleQueries
from infinite_scribe.application.ports.genesis import GENESIS_SESSIONS
from infinite_scribe.application.ports.storage import Transaction, UnitOfWork
from infinite_scribe.application.ports.writes import FlowHandleRow, SnapshotSave, Write
from infinite_scribe.application.retries import with_retries
from infinite_scribe.domain.errors import ConcurrencyConflict
from infinite_scribe.domain.flows import (
    FLOW_EXPIRED,
    FLOW_PAUSED,
    FLOW_RESUMED,
    LandingOutcome,
    ResumeOutcome,
    on_pause_landed,
    on_resume,
)
from infinite_scribe.domain.genesis import Decided, GenesisState
from shared_types import EventEnvelope, EventMetadata
from shared_types.enums import HandleStatus

#: Flow events get ids derived from the handle, so a repeated move could never write twice.
_FLOW_NAMESPACE = uuid.UUID("0b8f3e1c-2d4a-4f6e-9c1b-7a5d3e2f1c08")


class FlowControl:
    """The handle's moves; `source_service` names the writer of agent-side flow events."""

    def __init__(
        self,
        uow: UnitOfWork,
        queries: FlowHandleQueries,
        *,
        ttl_seconds: float,
        source_service: str,
    ) -> None:
        self.uow = uow
        self.queries = queries
        self.ttl_seconds = ttl_seconds
        self.source_service = source_service

    def pause_with(
        self,
        change: Change[GenesisState],
        correlation_id: str,
        handle: Mapping[str, Any],
        seed: UUID,
    ) -> Change[GenesisState]:
        """`change` (a proposal) with its flow's pause in the same write: the handle inserted
        PAUSED and its FlowPaused event next (one version on). The handle's id derives from
        `seed` (the request's event id), so a repeated answer is the same rows; the write is
        refused (FlowAlreadyWaiting) when the flow has a waiting handle already."""
        handle_id = uuid.uuid5(_FLOW_NAMESPACE, f"{seed}:handle")
        expires_at = datetime.now(UTC) + timedelta(seconds=self.ttl_seconds)
        paused_id = _flow_event_id(handle_id, FLOW_PAUSED)
        stored = {**handle, "paused_event_id": str(paused_id)}
        row = FlowHandleRow(correlation_id, stored, self.ttl_seconds, handle_id, expires_at)
        seen = FlowHandle(handle_id, correlation_id, HandleStatus.PAUSED, stored, None, expires_at)
        paused = SESSIONS.change(
            change.after,
            [Decided(FLOW_PAUSED, _paused_payload(seen))],
            self._origin(seen, None, None),
        )
        assert change.write.snapshot is not None  # a proposal moves an existing session
        snapshot = SnapshotSave(change.write.snapshot.old_version, paused.after)
        parts = Write(events=paused.events, snapshot=snapshot, flow_handle=row)
        events = [*change.events, *paused.events]
        return Change(change.before, paused.after, events, change.write.merged(parts))

    async def pause_landed(self, correlation_id: str) -> LandingOutcome:
        """The flow has stopped: PAUSED, or RESUMED when a reply came meanwhile."""

        async def attempt(number: int) -> LandingOutcome:
            async with self.uow.transaction() as tx:
                seen = await tx.repository(FLOW_HANDLES).get(correlation_id)
                if seen is None:
                    return LandingOutcome.NOTHING
                return await self.land_in(tx, seen)

        return await with_retries(attempt)

    async def land_in(self, tx: Transaction, seen: FlowHandle) -> LandingOutcome:
        """`pause_landed` inside a transaction the caller owns."""
        handles = tx.repository(FLOW_HANDLES)
        outcome = on_pause_landed(seen.status, seen.resume_payload)
        if outcome is LandingOutcome.PAUSED:
            paused = _paused_payload(seen)
            event = await self._tell(tx, seen, FLOW_PAUSED, paused)
            await self._lock_as_seen(tx, seen)
            paused = {"paused_event_id": str(event.event_id)} if event else {}
            await handles.move(seen.handle_id, HandleStatus.PAUSED, handle_additions=paused)
        elif outcome is LandingOutcome.RESUMED:
            reply = seen.resume_payload or {}
            payload = _resumed_payload(seen, reply, early=True)
            await self._tell(tx, seen, FLOW_RESUMED, payload, cause=reply)
            await self._lock_as_seen(tx, seen)
            await handles.move(seen.handle_id, HandleStatus.RESUMED)
        return outcome

    @staticmethod
    async def _lock_as_seen(tx: Transaction, seen: FlowHandle) -> None:
        """Lock the handle AFTER appending the flow event: a reply command appends its events
        (taking the session's next aggregate_version) and then locks the session's handles,
        so the same order here means the two cannot deadlock (the other order did, in a third
        of the races, each costing PostgreSQL's 1 s deadlock_timeout). Under REPEATABLE READ
        the lock fails with a serialization error if the handle moved since it was read; a
        different row (a newer handle) is checked here. Either way the attempt runs again."""
        handle = await tx.repository(FLOW_HANDLES).lock(seen.correlation_id)
        if handle is None or (handle.handle_id, handle.status, handle.resume_payload) != (
            seen.handle_id,
            seen.status,
            seen.resume_payload,
        ):
            raise ConcurrencyConflict("The flow's handle moved concurrently")

    async def resume_in(
        self,
        tx: Transaction,
        handle: FlowHandle,
        reply: Mapping[str, Any],
        metadata: EventMetadata,
    ) -> ResumeOutcome:
        """The writer's reply reached the (locked) handle; raises the 409s of `on_resume`."""
        outcome = on_resume(handle.status, handle.resume_payload)
        handles = tx.repository(FLOW_HANDLES)
        if outcome is ResumeOutcome.RESUMED:
            payload = _resumed_payload(handle, reply, early=False)
            await self._tell(tx, handle, FLOW_RESUMED, payload, cause=reply, metadata=metadata)
            await handles.move(handle.handle_id, HandleStatus.RESUMED, resume_payload=reply)
        else:  # the pause has not landed yet: keep the reply for it
            await handles.move(handle.handle_id, HandleStatus.PENDING_PAUSE, resume_payload=reply)
        return outcome

    async def settle(self, older_than_seconds: float, limit: int = 100) -> int:
        """Land the pauses of flows whose worker stopped before landing them."""
        landed = 0
        for correlation_id in await self.queries.unsettled(older_than_seconds, limit):
            if await self.pause_landed(correlation_id) is not LandingOutcome.NOTHING:
                landed += 1
        return landed

    async def expire_due(self, limit: int = 100) -> int:
        """EXPIRED (and FlowExpired) for every waiting handle past its time; how many."""
        expired = 0
        for correlation_id in await self.queries.due(limit):
            if await self._expire(correlation_id):
                expired += 1
        return expired

    async def _expire(self, correlation_id: str) -> bool:
        async def attempt(number: int) -> bool:
            async with self.uow.transaction() as tx:
                seen = await tx.repository(FLOW_HANDLES).get(correlation_id)
                # A reply kept for a pause that never landed is settled, never expired.
                if seen is None or seen.resume_payload is not None:
                    return False
                if seen.status not in (HandleStatus.PENDING_PAUSE, HandleStatus.PAUSED):
                    return False  # resumed (or expired) since the sweeper listed it
                payload = {"handle_id": str(seen.handle_id), "stage": seen.handle.get("stage")}
                cause = {"reply_event_id": seen.handle.get("paused_event_id")}
                await self._tell(tx, seen, FLOW_EXPIRED, payload, cause=cause)
                await self._lock_as_seen(tx, seen)
                await tx.repository(FLOW_HANDLES).move(seen.handle_id, HandleStatus.EXPIRED)
                return True

        return await with_retries(attempt)

    async def _tell(
        self,
        tx: Transaction,
        handle: FlowHandle,
        event_type: str,
        payload: dict[str, Any],
        *,
        cause: Mapping[str, Any] | None = None,
        metadata: EventMetadata | None = None,
    ) -> EventEnvelope | None:
        """Append a flow event to the handle's session (None: the session is gone)."""
        snapshot = await tx.repository(GENESIS_SESSIONS).load(handle.session_id)
        if snapshot is None:
            return None
        origin = self._origin(handle, cause, metadata)
        change = await SESSIONS.apply(tx, snapshot.state, [Decided(event_type, payload)], origin)
        return change.events[0]

    def _origin(
        self, handle: FlowHandle, cause: Mapping[str, Any] | None, metadata: EventMetadata | None
    ) -> Origin:
        """A flow event's origin: caused by the reply, else by the proposal."""
        causation = (cause or {}).get("reply_event_id") or handle.handle.get("proposal_event_id")
        return Origin(
            correlation_id=_uuid_or_none(handle.correlation_id),
            causation_id=_uuid_or_none(causation),
            metadata=metadata
            or EventMetadata(user_id=str(handle.user_id), source_service=self.source_service),
            actor_id=None if metadata else f"agent:{self.source_service}",
            event_ids=lambda event_type: _flow_event_id(handle.handle_id, event_type),
        )


def _flow_event_id(handle_id: UUID, event_type: str) -> UUID:
    return uuid.uuid5(_FLOW_NAMESPACE, f"{handle_id}:{event_type}")


def _paused_payload(handle: FlowHandle) -> dict[str, Any]:
    expires = handle.expires_at.isoformat() if handle.expires_at else None
    return {
        "handle_id": str(handle.handle_id),
        "stage": handle.handle.get("stage"),
        "task_id": handle.handle.get("task_id"),
        "proposal_event_id": handle.handle.get("proposal_event_id"),
        "expires_at": expires,
    }


def _resumed_payload(
    handle: FlowHandle, reply: Mapping[str, Any], *, early: bool
) -> dict[str, Any]:
    return {
        "handle_id": str(handle.handle_id),
        "stage": handle.handle.get("stage"),
        "reply_command_type": reply.get("command_type"),
        "reply_command_id": reply.get("command_id"),
        "reply_event_id": reply.get("reply_event_id"),
        "early": early,
    }


def _uuid_or_none(value: object) -> UUID | None:
    try:
        return UUID(str(value)) if value else None
    except ValueError:
        return None
