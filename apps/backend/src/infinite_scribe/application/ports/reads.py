"""Ports of the read side the browser lists from: a user's sessions, page by page, and novels."""

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol
from uuid import UUID

from shared_types.enums import GenesisStage, GenesisStatus


@dataclass(frozen=True)
class SessionSummary:
    """One row of a session list: the user's sessions, or their trash (`trashed_at` set)."""

    session_id: UUID
    status: GenesisStatus
    current_stage: GenesisStage
    is_pending: bool
    novel_id: UUID | None
    version: int
    created_at: datetime
    updated_at: datetime
    #: Since when it sits in the trash (None: not trashed).
    trashed_at: datetime | None = None


@dataclass(frozen=True)
class SessionPosition:
    """Where a page of the newest-first list ends: the last row's (created_at, id)."""

    created_at: datetime
    session_id: UUID


@dataclass(frozen=True)
class NovelView:
    """A novel as its owner reads it."""

    novel_id: UUID
    title: str
    theme: str | None
    writing_style: str | None
    status: str
    target_chapters: int
    completed_chapters: int
    version: int
    created_at: datetime
    updated_at: datetime
    #: The genesis session that created it (None for novels made another way).
    genesis_session_id: UUID | None


class ReadQueries(Protocol):
    async def sessions_page(
        self,
        user_id: UUID,
        status: GenesisStatus | None,
        after: SessionPosition | None,
        limit: int,
    ) -> list[SessionSummary]:
        """The user's sessions not in the trash, newest first, strictly after `after`."""
        ...

    async def novel(self, novel_id: UUID, user_id: UUID) -> NovelView | None:
        """The novel when it exists and belongs to the user."""
        ...
