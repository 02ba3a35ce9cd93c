"""Archive and unarchive sessions (issue 51, decision 5101): each one transaction that locks the
session's rows, moves its streams' events between the partitions and records the move in the
session's archive stream. Archiving is idempotent (a session archived and whole answers
`changed: False` and writes nothing); a writer that returns to an archived session brings it
back first (`unarchive`, from the command path and the trash)."""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from uuid import UUID, uuid4

from infinite_scribe.application.aggregates import Origin, envelopes
from infinite_scribe.application.context import RequestContext
from infinite_scribe.application.ports.archive import ARCHIVE, LockedUnit
from infinite_scribe.application.ports.storage import Transaction, UnitOfWork
from infinite_scribe.application.ports.writes import Write
from infinite_scribe.application.retries import with_retries
from infinite_scribe.domain import archive
from infinite_scribe.domain.chapters import Decided
from infinite_scribe.domain.errors import NotFound, SessionBusy

#: The `source_service` of the archive's events.
ARCHIVE_SOURCE = "archive"


@dataclass(frozen=True)
class ArchiveOutcome:
    session_id: UUID
    #: False: it was archived (or hot) already; nothing was written.
    changed: bool
    events_moved: int = 0


class ArchiveService:
    """The archive's use cases on a unit of work."""

    def __init__(self, uow: UnitOfWork) -> None:
        self.uow = uow

    async def archive(self, session_id: UUID, reason: str = archive.ON_REQUEST) -> ArchiveOutcome:
        """Move the session's streams to the archive (404 unknown, 409 SESSION_BUSY)."""

        async def attempt(number: int) -> ArchiveOutcome:
            async with self.uow.transaction() as tx:
                locked = await tx.repository(ARCHIVE).lock(session_id)
                if locked is None:
                    raise NotFound("Genesis session not found")
                if locked.busy is not None:
                    raise SessionBusy(
                        f"The session has a {locked.busy} in flight", busy=locked.busy
                    )
                return await _moved(tx, locked, archived=True, reason=reason)

        return await with_retries(attempt)

    async def unarchive(self, aggregate_type: str, aggregate_id: str) -> ArchiveOutcome | None:
        """Bring back the session that holds that stream (None: no session holds it)."""

        async def attempt(number: int) -> ArchiveOutcome | None:
            async with self.uow.transaction() as tx:
                return await unarchive_in(tx, aggregate_type, aggregate_id)

        return await with_retries(attempt)

    async def archive_due(
        self, reason: str, older_than: timedelta, batch: int = 100
    ) -> list[ArchiveOutcome]:
        """Archive every session finished and idle (`reason` FINISHED_AND_IDLE) or in the trash
        (TRASHED_AND_IDLE) for longer than `older_than`, `batch` at a time. A session that
        became busy or went away meanwhile is skipped: the next run sees it."""
        before = datetime.now(UTC) - older_than
        finished, trashed = (
            (before, None) if reason == archive.FINISHED_AND_IDLE else (None, before)
        )
        done: list[ArchiveOutcome] = []
        while True:
            async with self.uow.autocommit() as session:
                due = await session.repository(ARCHIVE).due(finished, trashed, batch)
            archived = 0
            for session_id in due:
                try:
                    done.append(await self.archive(session_id, reason))
                    archived += 1
                except (NotFound, SessionBusy):
                    continue
            # A short batch is the last; a full one where nothing could be archived would only
            # come back the same (all busy): leave them to the next run instead of spinning.
            if len(due) < batch or archived == 0:
                return done


async def unarchive_in(
    tx: Transaction, aggregate_type: str, aggregate_id: str
) -> ArchiveOutcome | None:
    """`ArchiveService.unarchive` inside the caller's transaction (the trash's)."""
    repository = tx.repository(ARCHIVE)
    session_id = await repository.session_of(aggregate_type, aggregate_id)
    locked = None if session_id is None else await repository.lock(session_id)
    if locked is None:
        return None
    return await _moved(tx, locked, archived=False, reason=archive.ON_WRITE)


async def _moved(
    tx: Transaction, locked: LockedUnit, *, archived: bool, reason: str
) -> ArchiveOutcome:
    unit = locked.unit
    moved = await tx.repository(ARCHIVE).move(unit, archived)
    if moved == 0 and locked.archived == archived:
        return ArchiveOutcome(unit.session_id, changed=False)
    context = RequestContext(user_id=locked.owner, source_service=ARCHIVE_SOURCE)
    flow = uuid4()  # each move is a flow of its own
    decided = [
        Decided(archive.ARCHIVED if archived else archive.UNARCHIVED, unit.payload(reason, moved))
    ]
    events = envelopes(
        archive.AGGREGATE_TYPE,
        str(unit.session_id),
        locked.archive_version,
        decided,
        Origin(flow, flow, context.metadata()),
    )
    await tx.write(Write(events=events))
    return ArchiveOutcome(unit.session_id, True, moved)
