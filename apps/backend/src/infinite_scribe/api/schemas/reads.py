"""Response bodies of the read routes: the session list, the novel list and a novel."""

from datetime import datetime
from typing import Any, Literal
from uuid import UUID

from pydantic import BaseModel

from infinite_scribe.api.schemas.fields import shallow_fields
from infinite_scribe.api.schemas.history import BranchOrigin
from infinite_scribe.api.schemas.story import DraftFindingOut
from infinite_scribe.application.ports.reads import NovelSummary, SessionSummary
from infinite_scribe.application.reads import NovelPage, SessionPage
from shared_types.enums import GenesisStage, GenesisStatus


class SessionSummaryOut(BaseModel):
    session_id: UUID
    status: GenesisStatus
    current_stage: GenesisStage
    is_pending: bool
    novel_id: UUID | None
    version: int
    created_at: datetime
    updated_at: datetime
    #: The working title: the confirmed story's, else the confirmed concept's; null before.
    title: str | None = None
    #: A branch's origin (`POST .../branches`): the source session and the version it left
    #: from; null for a session that was created.
    branched_from: BranchOrigin | None = None

    @classmethod
    def of(cls, summary: SessionSummary) -> "SessionSummaryOut":
        fields = shallow_fields(summary)
        del fields["trashed_at"]  # the live list holds no trashed sessions
        return cls(**fields)


class SessionListOut(BaseModel):
    """One page of the user's sessions, newest first."""

    sessions: list[SessionSummaryOut]
    #: Opaque: pass as `cursor` to get the next page; null when this page is the last.
    next_cursor: str | None

    @classmethod
    def of(cls, page: SessionPage) -> "SessionListOut":
        return cls(
            sessions=[SessionSummaryOut.of(item) for item in page.sessions],
            next_cursor=page.next_cursor,
        )


class NovelSummaryOut(BaseModel):
    """A novel in the writer's list."""

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
    #: The genesis session that created it.
    genesis_session_id: UUID | None
    #: That session is in the trash: readable, but commands, streams and exports answer 409
    #: SESSION_TRASHED until it is restored.
    trashed: bool = False

    @classmethod
    def of(cls, novel: NovelSummary) -> "NovelSummaryOut":
        return cls(**{name: getattr(novel, name) for name in cls.model_fields})


class ChapterOut(BaseModel):
    """A chapter of the confirmed outline and where its writing stands (issue 39)."""

    number: int
    title: str
    #: The outline's summary of the chapter.
    summary: str
    status: Literal["PLANNED", "DRAFTING", "DRAFTED", "CONFIRMED"]
    #: The draft, or the confirmed text (null while PLANNED).
    text: str | None
    #: The beats the draft was written from, in order.
    beats: list[str]
    #: What the writer asked for that this draft does not write, in their language (issue
    #: 55): open until the chapter is drafted again or confirmed.
    notes: list[str] = []
    #: Where this draft contradicts what the book established (issue 78: read before it was
    #: shown; a model was asked again once with them named): until drafted again or confirmed.
    findings: list[DraftFindingOut] = []


class NovelOut(NovelSummaryOut):
    """A novel and its bible: every stage the writer confirmed in Genesis, as confirmed."""

    #: STORY_CONCEPTION as confirmed (title, premise, synopsis, conflicts, themes).
    story: dict[str, Any]
    #: WORLDVIEW as confirmed (setting, rules, locations, history).
    worldview: dict[str, Any]
    #: CHARACTERS as confirmed (characters, relationships).
    characters: dict[str, Any]
    #: PLOT_OUTLINE as confirmed (acts, each with its chapters).
    outline: dict[str, Any]
    #: The outline's chapters from `chapter_from`, `chapter_limit` of them, in order, each with
    #: its text (RequestChapterDraft, ConfirmChapter).
    chapters: list[ChapterOut]
    #: `chapter_from` of the next window; null: these reach the outline's last chapter.
    next_chapter: int | None = None

    @classmethod
    def of(cls, novel: NovelSummary) -> "NovelOut":
        return cls(**shallow_fields(novel))


class NovelListOut(BaseModel):
    """One page of the writer's novels, newest first."""

    novels: list[NovelSummaryOut]
    #: Opaque: pass as `cursor` to get the next page; null when this page is the last.
    next_cursor: str | None

    @classmethod
    def of(cls, page: NovelPage) -> "NovelListOut":
        return cls(
            novels=[NovelSummaryOut.of(item) for item in page.novels],
            next_cursor=page.next_cursor,
        )
