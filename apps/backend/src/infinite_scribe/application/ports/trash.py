"""Ports of the trash (implemented in persistence/genesis/trash.py)."""

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol
from uuid import UUID

from infinite_scribe.application.ports.genesis import SessionSnapshot
from infinite_scribe.application.ports.reads import SessionSummary
from infinite_scribe.application.ports.storage import RepositoryKey


@dataclass(frozen=True)
class PurgedRows:
    """What a purge deleted or erased, per kind (reported in the reply and the logs)."""

    events_erased: int
    commands: int
    tasks: int
    resume_handles: int
    novels: int
    outbox_rows: int


class TrashRepository(Protocol):
    """The trash inside a transaction."""

    async def load(self, session_id: UUID, user_id: UUID | None) -> SessionSnapshot | None:
        """The session (trashed or not); with `user_id` only if it is that user's."""
        ...

    async def purge(self, session: SessionSnapshot, purge_event_id: UUID) -> PurgedRows:
        """Delete the session's rows everywhere and erase its events' payloads (the Purged
        event `purge_event_id`, appended in this transaction, is kept whole)."""
        ...


class TrashQueries(Protocol):
    """Reads of the trash outside any transaction."""

    async def trashed(
        self, user_id: UUID, after: tuple[datetime, UUID] | None, limit: int
    ) -> list[SessionSummary]:
        """The user's trashed sessions, most recently trashed first, strictly after `after`
        (a (trashed_at, id) position)."""
        ...

    async def was_purged(self, session_id: UUID, user_id: UUID) -> bool:
        """Whether the user's session was purged (its tombstone is in the event log)."""
        ...

    async def expired(self, trashed_before: datetime, limit: int) -> list[tuple[UUID, UUID]]:
        """(session id, owner) of sessions trashed before `trashed_before`, oldest first."""
        ...


#: The trash's repository in a unit of work.
TRASH: RepositoryKey[TrashRepository] = RepositoryKey("trash")
