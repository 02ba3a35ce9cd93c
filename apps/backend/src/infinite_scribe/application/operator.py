"""Operator actions for the console (issue 22): requeue FAILED outbox rows, replay or discard
dead letters, each one audited and idempotent, and the reads the operator pages show.

Idempotency: every action carries an `action_id` (one per submitted form). The action first
claims its id in the audit log (a unique key): only the claimer acts, a repeat (even a
concurrent one) gets the first entry and runs nothing; the entry is completed with the row
count when the action has run. The actions are idempotent where they land too (a requeue moves
only FAILED rows; a dead letter is claimed once in its dispositions).
"""

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from infinite_scribe.application.archive import ArchiveService
from infinite_scribe.application.event_chains import build_tree
from infinite_scribe.application.ports.operator import (
    AuditEntry,
    AuditLog,
    BrokerProbe,
    DeadLetterFilter,
    DeadLetterTopic,
    DeadLetterView,
    Dispositions,
    EventQueries,
    FailedRow,
    OutboxAdmin,
    OutboxFilter,
    OutboxRow,
    PipelineFigures,
    PipelineQueries,
)
from infinite_scribe.application.ports.workers import WorkerRegistry
from infinite_scribe.application.redrives import REFUSED, GenerationRedrive, LetterReplays
from infinite_scribe.domain.archive import ON_REQUEST
from infinite_scribe.domain.errors import NotFound

REQUEUE_OUTBOX = "outbox.requeue"
DISCARD_OUTBOX_ROW = "outbox.discard"
#: How much of an outbox row's payload the operator's page shows (characters).
PAYLOAD_SHOWN = 20_000
REPLAY_DEAD_LETTERS = "dead_letters.replay"
DISCARD_DEAD_LETTERS = "dead_letters.discard"
ARCHIVE_SESSION = "session.archive"
#: Events drawn in one causation tree.
CHAIN_LIMIT = 500


@dataclass(frozen=True)
class ActionOutcome:
    entry: AuditEntry
    #: The action id had been used: nothing ran again, this is the first outcome.
    repeated: bool


class OperatorActions:
    """Audited operator actions and the operator's reads."""

    def __init__(
        self,
        audit: AuditLog,
        outbox: OutboxAdmin,
        letters: DeadLetterTopic,
        dispositions: Dispositions,
        events: EventQueries,
        redrive: GenerationRedrive | None = None,
        archive: ArchiveService | None = None,
    ) -> None:
        self.audit = audit
        self.outbox = outbox
        self.topic = letters
        self.dispositions = dispositions
        self.events = events
        self.replays = LetterReplays(letters, redrive)
        self.archive = archive

    async def requeue_outbox(
        self, actor: UUID, action_id: UUID, *, row_id: UUID | None, where: OutboxFilter | None
    ) -> ActionOutcome:
        """One FAILED row (`row_id`) or every FAILED row matching `where`, back to PENDING."""
        if (row_id is None) == (where is None):
            raise ValueError("give exactly one of row_id or where")
        target: dict[str, Any] = (
            {"filter": where.as_target()} if where is not None else {"row_id": str(row_id)}
        )

        async def act() -> int:
            return await self.outbox.requeue(row_id=row_id, where=where)

        return await self._audited(AuditEntry(action_id, actor, REQUEUE_OUTBOX, target, 0), act)

    async def discard_outbox_row(self, actor: UUID, action_id: UUID, row_id: UUID) -> ActionOutcome:
        """Delete one FAILED row (it is never published; the event stays in the log and the
        rows its key held go on). The audit keeps what the row was."""
        if (done := await self.audit.find(action_id)) is not None:
            return ActionOutcome(done, repeated=True)
        row = await self.outbox.row(row_id, 0)
        if row is None or row.status != "FAILED":
            raise NotFound("No such FAILED outbox row")
        target = {
            "row_id": str(row.id),
            "event_id": str(row.event_id),
            "key": row.key,
            "topic": row.topic,
            "position": row.position,
        }

        async def act() -> int:
            return await self.outbox.discard(row_id)

        entry = AuditEntry(action_id, actor, DISCARD_OUTBOX_ROW, target, 0)
        return await self._audited(entry, act)

    async def outbox_row(self, row_id: UUID) -> OutboxRow:
        row = await self.outbox.row(row_id, PAYLOAD_SHOWN)
        if row is None:
            raise NotFound("No such outbox row")
        return row

    async def replay_dead_letters(
        self,
        actor: UUID,
        action_id: UUID,
        *,
        positions: list[str] | None,
        where: DeadLetterFilter | None,
    ) -> ActionOutcome:
        """Replay letters (by position, or all matching): a failed generation is re-driven,
        another letter is published again to its original topic (application/redrives.py).
        A letter leaves the list only when that attempt was made; the audit keeps each
        letter's outcome (re-driven, republished, refused and why)."""
        if (done := await self.audit.find(action_id)) is not None:
            return ActionOutcome(done, repeated=True)
        chosen, target = await self._choose(positions, where)
        outcomes: dict[str, str] = {}

        async def act() -> int:
            claimed = await self.dispositions.claim(chosen, "REPLAYED", action_id)
            try:
                replayed = await self.replays.replay(claimed) if claimed else []
            except BaseException:
                await self.dispositions.release(claimed, action_id)  # may be replayed again
                raise
            refused = [o.position for o in replayed if o.outcome == REFUSED]
            if refused:  # nothing was attempted: they stay listed, with the reason audited
                await self.dispositions.release(refused, action_id)
            outcomes.update({o.position: str(o) for o in replayed})
            return len(replayed) - len(refused)

        entry = AuditEntry(action_id, actor, REPLAY_DEAD_LETTERS, target, 0)
        return await self._audited(entry, act, outcomes)

    async def discard_dead_letters(
        self,
        actor: UUID,
        action_id: UUID,
        *,
        positions: list[str] | None,
        where: DeadLetterFilter | None,
    ) -> ActionOutcome:
        """Mark letters as discarded: hidden from the list and never replayed."""
        if (done := await self.audit.find(action_id)) is not None:
            return ActionOutcome(done, repeated=True)
        chosen, target = await self._choose(positions, where)

        async def act() -> int:
            return len(await self.dispositions.claim(chosen, "DISCARDED", action_id))

        entry = AuditEntry(action_id, actor, DISCARD_DEAD_LETTERS, target, 0)
        return await self._audited(entry, act)

    async def archive_session(
        self, actor: UUID, action_id: UUID, session_id: UUID
    ) -> ActionOutcome:
        """Move a session and its novel to the archived partition (decision 5101); the count is
        the events moved, 0 when it was archived already."""
        if self.archive is None:
            raise NotFound("The archive is not available in this process")
        archive = self.archive
        outcome: dict[str, str] = {}

        async def act() -> int:
            done = await archive.archive(session_id, ON_REQUEST)
            outcome[str(session_id)] = "archived" if done.changed else "was archived already"
            return done.events_moved

        target = {"session_id": str(session_id)}
        entry = AuditEntry(action_id, actor, ARCHIVE_SESSION, target, 0)
        return await self._audited(entry, act, outcome)

    async def _audited(
        self,
        entry: AuditEntry,
        act: Callable[[], Awaitable[int]],
        outcome: dict[str, str] | None = None,
    ) -> ActionOutcome:
        """Claim the action id in the audit log, act, record how many rows (and `outcome`,
        filled by `act`); a repeat of the same id (even a concurrent one) gets the first
        entry and runs nothing."""
        stored = await self.audit.claim(entry)
        if stored is not None:
            return ActionOutcome(stored, repeated=True)
        try:
            count = await act()
        except BaseException:
            await self.audit.abandon(entry.action_id)
            raise
        completed = await self.audit.complete(entry.action_id, count, outcome or None)
        return ActionOutcome(completed, repeated=False)

    async def dead_letters(self, where: DeadLetterFilter) -> list[DeadLetterView]:
        letters, settled = await asyncio.gather(self.topic.letters(), self.dispositions.all())
        placed = [_with_disposition(letter, settled.get(letter.position)) for letter in letters]
        return [letter for letter in placed if where.matches(letter)]

    async def failed_outbox(self, where: OutboxFilter, limit: int = 200) -> list[FailedRow]:
        return await self.outbox.failed(where, limit)

    async def recorded(self, action_id: UUID) -> AuditEntry | None:
        """The outcome recorded for an action id (the page shown after an action)."""
        return await self.audit.find(action_id)

    async def recent_audit(self, limit: int = 200, action: str | None = None) -> list[AuditEntry]:
        return await self.audit.recent(limit, action)

    async def event(self, event_id: UUID) -> dict[str, Any]:
        event = await self.events.event(event_id)
        if event is None:
            raise NotFound("Event not found")
        return event

    async def chain(self, correlation_id: UUID) -> tuple[dict[str, Any], bool]:
        """The flow's causation tree under a root standing for its first command, and whether
        the flow had more events than drawn."""
        rows = await self.events.flow(correlation_id, CHAIN_LIMIT + 1)
        if not rows:
            raise NotFound("No events with this correlation id")
        drawn = rows[:CHAIN_LIMIT]
        known = {row["event_id"] for row in drawn} | {correlation_id}
        # An event whose cause is outside the flow (a later command of the same flow) hangs
        # under the root rather than vanishing from the drawing.
        placed = [
            row if row["causation_id"] in known else {**row, "causation_id": correlation_id}
            for row in drawn
        ]
        root = {"event_id": correlation_id, "event_type": "command", "causation_id": None}
        return build_tree(root, placed), len(rows) > CHAIN_LIMIT

    async def _choose(
        self, positions: list[str] | None, where: DeadLetterFilter | None
    ) -> tuple[list[str], dict[str, Any]]:
        if (positions is None) == (where is None):
            raise ValueError("give exactly one of positions or where")
        if positions is not None:
            # Only letters that exist: a made-up position must not leave a disposition behind.
            present = {letter.position for letter in await self.topic.letters()}
            chosen = sorted(set(positions) & present)
            if not chosen:
                raise NotFound("No such dead letter")
            return chosen, {"positions": chosen}
        assert where is not None
        matching = await self.dead_letters(where)
        return [letter.position for letter in matching], {"filter": where.as_target()}


def _with_disposition(letter: DeadLetterView, disposition: str | None) -> DeadLetterView:
    if disposition is None:
        return letter
    return DeadLetterView(**{**vars(letter), "disposition": disposition})


class PipelineOverview:
    """The figures of the operator's overview: the database's and the broker's."""

    def __init__(
        self,
        queries: PipelineQueries,
        broker: BrokerProbe | None,
        workers: WorkerRegistry | None = None,
        relay_ttl_seconds: float = 15.0,
    ) -> None:
        self.queries = queries
        self.broker = broker
        self.workers = workers
        self.relay_ttl_seconds = relay_ttl_seconds

    async def figures(self, window_seconds: float = 60.0) -> PipelineFigures:
        figures = await self.queries.database_figures(window_seconds)
        if self.workers is not None:  # the workers' and relays' own beats (decision 4003)
            beating = await self.workers.live()
            relays = await self.workers.relays(self.relay_ttl_seconds)
            figures = _replace(figures, registered_workers=beating, relays=relays)
        if self.broker is None:
            return _replace(figures, broker_error="no broker configured")
        # Each broker figure on its own: a broker without DescribeGroups still shows the lag.
        lag, dead, workers = await asyncio.gather(
            self.broker.lag(),
            self.broker.dead_letter_count(),
            self.broker.workers(),
            return_exceptions=True,
        )
        errors = [
            f"{type(e).__name__}: {e}" for e in (lag, dead, workers) if isinstance(e, Exception)
        ]
        return _replace(
            figures,
            lag=None if isinstance(lag, BaseException) else lag,
            dead_letters=None if isinstance(dead, BaseException) else dead,
            workers=None if isinstance(workers, BaseException) else workers,
            broker_error="; ".join(errors) or None,
        )


def _replace(figures: PipelineFigures, **changes: Any) -> PipelineFigures:
    return PipelineFigures(**{**vars(figures), **changes})
