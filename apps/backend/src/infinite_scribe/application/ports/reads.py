"""Ports of the read side the browser lists from: a user's sessions, page by page, and novels."""

from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any, Protocol
from uuid import UUID

import orjson

from infinite_scribe.domain.chapter_brief import chapter_outline
from infinite_scribe.domain.chapters import NovelState, chapter_views
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
    #: The working title: the confirmed story's, else the confirmed concept's (None before).
    title: str | None = None
    #: A branch's origin: {"session_id", "event_id"[, "title"]} (None: created, not branched).
    branched_from: dict[str, Any] | None = None


@dataclass(frozen=True)
class SessionPosition:
    """Where a page of the newest-first list ends: the last row's (created_at, id)."""

    created_at: datetime
    session_id: UUID


@dataclass(frozen=True)
class NovelSummary:
    """A novel in its owner's list: what it is, without the confirmed stages."""

    novel_id: UUID
    title: str
    #: The chosen concept's one-sentence pitch.
    logline: str | None
    theme: str | None
    writing_style: str | None
    status: str
    #: The chapters of the confirmed plot outline.
    target_chapters: int
    completed_chapters: int
    version: int
    created_at: datetime
    updated_at: datetime
    #: The genesis session that created it (None for novels made another way).
    genesis_session_id: UUID | None
    #: That session is in the trash: the novel is readable, but refuses commands, streams
    #: and exports (409 SESSION_TRASHED) until it is restored.
    trashed: bool = False


@dataclass(frozen=True)
class NovelView(NovelSummary):
    """A novel as its owner reads it: the summary and the bible (every confirmed stage)."""

    #: STORY_CONCEPTION as confirmed (title, premise, synopsis, conflicts, themes).
    story: dict[str, Any] = field(default_factory=dict)
    #: WORLDVIEW as confirmed (setting, rules, locations, history).
    worldview: dict[str, Any] = field(default_factory=dict)
    #: CHARACTERS as confirmed (characters, relationships).
    characters: dict[str, Any] = field(default_factory=dict)
    #: PLOT_OUTLINE as confirmed (acts, each with its chapters).
    outline: dict[str, Any] = field(default_factory=dict)
    #: One entry per chapter of the outline (domain.chapters.chapter_views), issue 39; a
    #: window of them when read with a `ChapterWindow`.
    chapters: list[dict[str, Any]] = field(default_factory=list)
    #: The first chapter after the window read (None: it reaches the outline's end).
    next_chapter: int | None = None


@dataclass(frozen=True)
class ChapterWindow:
    """Which chapters a read of one novel carries (with their text): from `first`, `limit` of
    them; a novel is read a window at a time whatever its length (issue 54)."""

    first: int = 1
    limit: int = 50


@dataclass(frozen=True)
class NovelSource:
    """A novel as its export reads it: the novel without its chapters, and the chapters' JSON
    text as stored. Decoding a whole book's chapters (9 MB for 1,000 chapters of 3,000
    characters) is CPU work, so `parsed()` runs where the render does: in the build's process."""

    novel: NovelView
    chapter_state: str
    pending: dict[str, Any] | None

    def parsed(self) -> NovelView:
        chapters = chapter_views(
            NovelState(
                novel_id=self.novel.novel_id,
                user_id=UUID(int=0),  # not read by chapter_views
                outline=tuple(chapter_outline(self.novel.outline or {})),
                chapters=orjson.loads(self.chapter_state),
                pending=self.pending,
            )
        )
        return replace(self.novel, chapters=chapters)


@dataclass(frozen=True)
class NovelPosition:
    """Where a page of the newest-first novel list ends: the last row's (created_at, id)."""

    created_at: datetime
    novel_id: UUID


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

    async def branches_of(
        self, session_id: UUID, user_id: UUID, limit: int
    ) -> list[SessionSummary]:
        """The user's sessions branched from `session_id` (not trashed), oldest first."""
        ...

    async def novel(
        self, novel_id: UUID, user_id: UUID, window: "ChapterWindow | None" = None
    ) -> NovelView | None:
        """The novel when it exists and belongs to the user, with the chapters of `window`
        (None: every chapter, for an export)."""
        ...

    async def novels_page(
        self, user_id: UUID, after: NovelPosition | None, limit: int
    ) -> list[NovelSummary]:
        """The user's novels, newest first, strictly after `after`."""
        ...

    async def novel_source(self, novel_id: UUID, user_id: UUID) -> NovelSource | None:
        """The novel with its chapters undecoded (an export's read), when the user's."""
        ...
