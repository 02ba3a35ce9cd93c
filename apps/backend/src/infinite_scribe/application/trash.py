"""The trash: move a session in and out of it, purge it, list it, purge expired ones.

Not commands of the command service, on purpose: a trash operation must load a trashed session
(commands refuse those), writes no `command_inbox` row (a purge deletes the inbox), and is
idempotent by nature (trashing twice, restoring twice or purging twice changes nothing the
second time), so it needs no inbox key. It writes its events the same way, though: through the
aggregate writer (events + outbox + the version-checked snapshot in one statement), retried when
it loses a race (docs/trash.md).
"""

import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from uuid import UUID, uuid4

from infinite_scribe.application.aggregates import Origin, envelopes
from infinite_scribe.application.archive import unarchive_in
from infinite_scribe.application.chapter_commands import NOVEL_WRITER
from infinite_scribe.application.context import RequestContext
from infinite_scribe.application.genesis_commands import SESSIONS, owned
from infinite_scribe.application.ports.genesis import SessionSnapshot
from infinite_scribe.application.ports.novels import NOVELS
from infinite_scribe.application.ports.reads import SessionSummary
from infinite_scribe.application.ports.storage import Transaction, UnitOfWork
from infinite_scribe.application.ports.story import STORY
from infinite_scribe.application.ports.trash import (
    TRASH,
    PurgedRows,
    TrashQueries,
)
from infinite_scribe.application.ports.writes import SnapshotSave, TrashMove, Write
from infinite_scribe.application.reads import decode_position, page_of
from infinite_scribe.application.retries import with_retries
from infinite_scribe.domain.chapters import PURGED as NOVEL_PURGED, Decided
from infinite_scribe.domain.errors import ConcurrencyConflict, InvalidState, NotFound
from infinite_scribe.domain.genesis_events import AGGREGATE_TYPE as SESSION_AGGREGATE
from infinite_scribe.domain.story_memory import (
    AGGREGATE_TYPE as STORY_AGGREGATE,
    PURGED as MEMORY_PURGED,
)
from infinite_scribe.domain.trash import (
    PURGED_BY_RETENTION,
    PURGED_BY_USER,
    TrashState,
    decide_purge,
    decide_restore,
    decide_trash,
)

logger = logging.getLogger(__name__)

#: `source_service` of the events the retention sweeper writes.
SWEEPER_SOURCE = "trash-sweeper"


@dataclass(frozen=True)
class TrashOutcome:
    """A session after trash/restore; `changed` is False when it was already there."""

    session_id: UUID
    trashed_at: datetime | None
    version: int
    changed: bool
    event_id: UUID | None = None


@dataclass(frozen=True)
class PurgeOutcome:
    session_id: UUID
    #: False: it had been purged before (a repeated DELETE).
    changed: bool
    rows: PurgedRows | None = None
    event_id: UUID | None = None


class TrashService:
    """Trash use cases, each one unit of work retried on a lost optimistic race."""

    def __init__(self, uow: UnitOfWork, queries: TrashQueries) -> None:
        self.uow = uow
        self.queries = queries

    async def trash(self, context: RequestContext, session_id: UUID) -> TrashOutcome:
        return await self._move(context, session_id, to_trash=True)

    async def restore(self, context: RequestContext, session_id: UUID) -> TrashOutcome:
        return await self._move(context, session_id, to_trash=False)

    async def _move(
        self, context: RequestContext, session_id: UUID, *, to_trash: bool
    ) -> TrashOutcome:
        async def attempt(number: int) -> TrashOutcome:
            async with self.uow.transaction() as tx:
                trash = tx.repository(TRASH)
                session = owned(await trash.load(session_id, context.user_id))
                await _hot(tx, session)
                state = TrashState(trashed_at=session.trashed_at)
                now = datetime.now(UTC)
                decided = (
                    decide_trash(session.state, state, now) if to_trash else decide_restore(state)
                )
                if not decided:
                    return TrashOutcome(
                        session_id, session.trashed_at, session.state.version, changed=False
                    )
                trashed_at = now if to_trash else None
                after = SESSIONS.handler.evolve(session.state, decided)
                move = SnapshotSave(session.state.version, after, trash=TrashMove(trashed_at))
                change = await SESSIONS.apply(
                    tx, session.state, decided, _origin(context), parts=Write(snapshot=move)
                )
            version = change.after.version
            return TrashOutcome(session_id, trashed_at, version, True, change.events[0].event_id)

        return await with_retries(attempt)

    async def purge(
        self, context: RequestContext, session_id: UUID, reason: str = PURGED_BY_USER
    ) -> PurgeOutcome:
        """Purge a trashed session for good (409 SESSION_NOT_TRASHED when not in the trash);
        a session this user purged before answers the same again (idempotent DELETE)."""

        async def attempt(number: int) -> PurgeOutcome | None:
            async with self.uow.transaction() as tx:
                trash = tx.repository(TRASH)
                session = await trash.load(session_id, context.user_id)
                if session is None:
                    return None
                await _hot(tx, session)
                state = TrashState(trashed_at=session.trashed_at)
                decided = decide_purge(session.state, state, reason)
                # The tombstone first: the erasure function only touches purged aggregates.
                change = await SESSIONS.apply(tx, session.state, decided, _origin(context))
                tombstone = change.events[0].event_id
                await _novel_tombstone(tx, session.state.novel_id, reason, context)
                rows = await trash.purge(session, tombstone)
            logger.info("purged session %s (%s): %s", session_id, reason, rows)
            return PurgeOutcome(session_id, True, rows, tombstone)

        outcome = await with_retries(attempt)
        if outcome is not None:
            return outcome
        if await self.queries.was_purged(session_id, context.user_id):
            return PurgeOutcome(session_id, changed=False)
        raise NotFound("Genesis session not found")

    async def list_trash(
        self, user_id: UUID, cursor: str | None, limit: int
    ) -> tuple[list[SessionSummary], str | None]:
        """A page of the trash, most recently trashed first, and the next page's cursor."""
        after = decode_position(cursor) if cursor else None
        rows = await self.queries.trashed(user_id, after, limit + 1)
        return page_of(rows, limit, lambda row: (row.trashed_at or row.created_at, row.session_id))

    async def purge_expired(self, retention: timedelta, batch: int = 100) -> int:
        """Purge every session trashed longer than `retention` ago, `batch` at a time; returns
        how many were purged. Safe to run in several processes at once: a session another one
        purged meanwhile is skipped (its purge is idempotent)."""
        purged = 0
        while True:
            expired = await self.queries.expired(datetime.now(UTC) - retention, batch)
            done = 0
            for session_id, owner in expired:
                context = RequestContext(user_id=owner, source_service=SWEEPER_SOURCE)
                try:
                    outcome = await self.purge(context, session_id, PURGED_BY_RETENTION)
                except (NotFound, InvalidState, ConcurrencyConflict):
                    continue  # restored or purged meanwhile, or busy: the next sweep sees it
                done += 1
                purged += int(outcome.changed)
            # A short batch is the last; a full one where nothing could be purged would only
            # come back the same (all busy): leave them to the next sweep instead of spinning.
            if len(expired) < batch or done == 0:
                return purged


async def _hot(tx: Transaction, session: SessionSnapshot) -> None:
    """An archived session comes back before the trash writes to it (in the same transaction)."""
    if session.archived:
        await unarchive_in(tx, SESSION_AGGREGATE, str(session.state.session_id))


def _origin(context: RequestContext) -> Origin:
    # Each trash operation is a flow of its own: the request caused it, nothing before it.
    flow_id = uuid4()
    return Origin(flow_id, flow_id, context.metadata())


async def _novel_tombstone(
    tx: Transaction, novel_id: UUID | None, reason: str, context: RequestContext
) -> None:
    """The session's novel has a stream of its own (its chapters, issue 39): a tombstone on it
    too, so its payloads are erased with the session's."""
    if novel_id is None:
        return
    novel = await tx.repository(NOVELS).load(novel_id)
    if novel is not None and novel.version > 0:
        tombstone = [Decided(NOVEL_PURGED, {"reason": reason})]
        await NOVEL_WRITER.apply(tx, novel, tombstone, _origin(context))
    story = await tx.repository(STORY).stored(novel_id)
    if story.version > 0:  # its story memory quotes its chapters (issue 48): erased too
        decided = [Decided(MEMORY_PURGED, {"reason": reason})]
        events = envelopes(STORY_AGGREGATE, str(novel_id), story.version, decided, _origin(context))
        await tx.write(Write(events=events))
