"""Ports of the trash and of the projection rebuild (implemented in persistence/trash.py and
persistence/projections.py)."""

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol
from uuid import UUID

from infinite_scribe.application.ports.storage import RepositoryKey
from infinite_scribe.domain.genesis import GenesisState
from shared_types import DomainEventRow


@dataclass(frozen=True)
class TrashableSession:
    """A session as the trash sees it: its stage machine state and since when it is trashed."""

    state: GenesisState
    trashed_at: datetime | None


@dataclass(frozen=True)
class SessionSummary:
    """One row of a session list (the trash, or the live sessions)."""

    session_id: UUID
    status: str
    current_stage: str
    version: int
    created_at: datetime
    updated_at: datetime
    trashed_at: datetime | None


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

    async def load(self, session_id: UUID, user_id: UUID | None) -> TrashableSession | None:
        """The session (trashed or not); with `user_id` only if it is that user's."""
        ...

    async def purge(self, session: TrashableSession, purge_event_id: UUID) -> PurgedRows:
        """Delete the session's rows everywhere and erase its events' payloads (the Purged
        event `purge_event_id`, appended in this transaction, is kept whole)."""
        ...


class TrashQueries(Protocol):
    """Reads of the trash outside any transaction."""

    async def trashed(self, user_id: UUID, offset: int, limit: int) -> list[SessionSummary]:
        """The user's trashed sessions, most recently trashed first."""
        ...

    async def was_purged(self, session_id: UUID, user_id: UUID) -> bool:
        """Whether the user's session was purged (its tombstone is in the event log)."""
        ...

    async def expired(self, trashed_before: datetime, limit: int) -> list[tuple[UUID, UUID]]:
        """(session id, owner) of sessions trashed before `trashed_before`, oldest first."""
        ...


@dataclass(frozen=True)
class ProjectedRow:
    """The `genesis_sessions` columns a projection rebuild computes from events."""

    state: GenesisState
    trashed_at: datetime | None
    created_at: datetime


class ProjectionRepository(Protocol):
    """What a projection rebuild reads and writes inside one transaction."""

    async def lock_row(self, session_id: UUID) -> dict[str, Any] | None:
        """The projection row's columns (locked against live writers until commit), or None."""
        ...

    async def events(self, session_id: UUID) -> list[DomainEventRow]:
        """The session's events in version order."""
        ...

    async def write(self, session_id: UUID, expected: ProjectedRow | None) -> None:
        """Upsert the row as `expected`; None deletes it."""
        ...


class ProjectionQueries(Protocol):
    async def session_ids(self) -> list[UUID]:
        """Every session id with events or a projection row, in a stable order."""
        ...


#: The trash's repository in a unit of work.
TRASH: RepositoryKey[TrashRepository] = RepositoryKey("trash")
#: The projection rebuild's repository in a unit of work.
PROJECTIONS: RepositoryKey[ProjectionRepository] = RepositoryKey("projections")
