"""Response bodies of the read routes: the session list, the novel list and a novel. Each is
its port's read model (application/ports/reads.py) under the API's name; what the API shows
otherwise is declared here."""

from typing import Literal

from pydantic import BaseModel

from infinite_scribe.api.schemas.fields import ViewOut
from infinite_scribe.api.schemas.history import BranchOrigin
from infinite_scribe.api.schemas.story import DraftFindingOut
from infinite_scribe.application.ports.reads import NovelSummary, NovelView, SessionSummary
from infinite_scribe.application.reads import NovelPage, SessionPage


class SessionSummaryOut(ViewOut, view=SessionSummary, drop=("trashed_at",)):
    # Without `trashed_at`: the live list holds no trashed sessions.

    #: A branch's origin (`POST .../branches`): the source session and the version it left
    #: from; null for a session that was created.
    branched_from: BranchOrigin | None = None


class SessionListOut(ViewOut, view=SessionPage):
    """One page of the user's sessions, newest first."""

    sessions: list[SessionSummaryOut]


class NovelSummaryOut(ViewOut, view=NovelSummary):
    """A novel in the writer's list."""


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


class NovelOut(ViewOut, view=NovelView):
    """A novel and its bible: every stage the writer confirmed in Genesis, as confirmed."""

    #: The outline's chapters from `chapter_from`, `chapter_limit` of them, in order, each with
    #: its text (RequestChapterDraft, ConfirmChapter).
    chapters: list[ChapterOut]


class NovelListOut(ViewOut, view=NovelPage):
    """One page of the writer's novels, newest first."""

    novels: list[NovelSummaryOut]
