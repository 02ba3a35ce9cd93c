"""Ports of the archive (implemented in persistence/archive/store.py)."""

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol
from uuid import UUID

from infinite_scribe.application.ports.storage import RepositoryKey
from infinite_scribe.domain.archive import ArchiveUnit


@dataclass(frozen=True)
class LockedUnit:
    """A session's archive unit, row-locked for the transaction (its streams' rows: every
    append to its streams waits for this transaction)."""

    unit: ArchiveUnit
    owner: UUID
    archived: bool
    #: What keeps it hot now: a command or a chapter generation in flight (None: nothing).
    busy: str | None
    #: The version of its archive stream (0: never archived).
    archive_version: int


class ArchiveRepository(Protocol):
    """The archive inside a transaction."""

    async def lock(self, session_id: UUID) -> LockedUnit | None:
        """The session's unit, its rows locked (None: no such session)."""
        ...

    async def session_of(self, aggregate_type: str, aggregate_id: str) -> UUID | None:
        """The session whose unit holds that stream (None: none)."""
        ...

    async def move(self, unit: ArchiveUnit, archived: bool) -> int:
        """Move every event of the unit's streams to the archived (or hot) partition and flag
        its rows; returns how many events moved."""
        ...

    async def due(
        self, finished_before: datetime | None, trashed_before: datetime | None, limit: int
    ) -> list[UUID]:
        """Hot sessions due for the archive: finished and idle since `finished_before`, or in
        the trash since `trashed_before` (None: not that kind), oldest first."""
        ...


#: The archive's repository in a unit of work.
ARCHIVE: RepositoryKey[ArchiveRepository] = RepositoryKey("archive")
