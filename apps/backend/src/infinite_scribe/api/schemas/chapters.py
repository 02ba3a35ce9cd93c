"""The novel's chapter commands and history as clients see them in OpenAPI (issue 39): one
typed variant per command type of the novel (domain/chapter_commands.py), parsed loosely at
run time as the session commands are (api/schemas/commands.py)."""

from datetime import datetime
from typing import Any, Literal
from uuid import UUID

from fastapi.openapi.models import Example
from pydantic import BaseModel, Field

from infinite_scribe.api.schemas.commands import LooseCommand, command_example, typed_commands
from infinite_scribe.api.schemas.history import Provenance
from infinite_scribe.domain.chapter_commands import NOVEL_PAYLOAD_MODELS


class NovelCommandRequest(LooseCommand):
    """A command for the novel's chapters; see the variants for each type's payload."""

    typed = typed_commands(NOVEL_PAYLOAD_MODELS, prefix="Novel")


NOVEL_COMMAND_EXAMPLES: dict[str, Example] = {
    "draft": command_example("Draft chapter 1", "RequestChapterDraft", {"chapter": 1}),
    "draft_wishes": command_example(
        "Draft chapter 2 with wishes",
        "RequestChapterDraft",
        {"chapter": 2, "wishes": "从林舟的视角写, 多一些对话"},
    ),
    "feedback": command_example(
        "Revise chapter 1's draft",
        "SubmitChapterFeedback",
        {"chapter": 1, "feedback": "结尾再紧张一些"},
    ),
    "confirm": command_example("Confirm chapter 1 as drafted", "ConfirmChapter", {"chapter": 1}),
    "confirm_edited": command_example(
        "Confirm chapter 1 as edited", "ConfirmChapter", {"chapter": 1, "text": "……"}
    ),
    "waive": command_example(
        "Waive a continuity finding: the contradiction is intended",
        "WaiveFinding",
        {
            "finding_id": "3f0e2f6c-0000-4000-8000-000000000000",
            "reason": "他假死, 第十二章揭晓",
        },
    ),
    "rollback": command_example(
        "Restore one chapter to one of its versions (the others keep theirs)",
        "RollbackToVersion",
        {"event_id": "3f0e2f6c-0000-4000-8000-000000000000"},
    ),
    "rollback_novel": command_example(
        "Put every chapter back as it was right after a version",
        "RollbackToVersion",
        {"event_id": "3f0e2f6c-0000-4000-8000-000000000000", "scope": "novel"},
    ),
}


class ChapterVersionOut(BaseModel):
    event_id: UUID
    event_type: str
    kind: Literal["proposed", "revised", "confirmed", "edited", "rolled_back"]
    at: datetime
    chapter: int | None
    #: `proposed` / `revised`: text and beats; `confirmed` / `edited`: the text confirmed;
    #: `rolled_back`: the chapter as restored.
    content: dict[str, Any]
    #: `revised`: the feedback that asked for it.
    feedback: str | None = None
    #: On drafts; null otherwise.
    provenance: Provenance | None = None
    #: `rolled_back`: the version gone back to.
    target_event_id: UUID | None = None


class ChapterVersions(BaseModel):
    chapter: int
    versions: list[ChapterVersionOut]


class ChapterHistoryOut(BaseModel):
    """One page of versions (the newest first), by chapter number, each chapter's oldest first."""

    novel_id: UUID
    chapters: list[ChapterVersions]
    #: `?before=` of the next (older) page; null: this page holds the novel's first version.
    next_before: int | None = Field(default=None, examples=[4812])
