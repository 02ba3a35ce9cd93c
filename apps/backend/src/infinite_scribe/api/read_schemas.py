"""Response bodies of the read routes: the session list and a novel."""

from dataclasses import asdict
from datetime import datetime
from uuid import UUID

from pydantic import BaseModel

from infinite_scribe.application.ports.reads import NovelView, SessionSummary
from infinite_scribe.application.reads import SessionPage
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

    @classmethod
    def of(cls, summary: SessionSummary) -> "SessionSummaryOut":
        fields = asdict(summary)
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


class NovelOut(BaseModel):
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
    genesis_session_id: UUID | None

    @classmethod
    def of(cls, novel: NovelView) -> "NovelOut":
        return cls(**asdict(novel))
