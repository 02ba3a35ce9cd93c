"""The novel's chapter commands (issue 39): the payload model of each command type sent to
`POST /api/v1/novels/{id}/commands`, validated at the API edge."""

from collections.abc import Mapping
from typing import Annotated, Any, ClassVar, Literal
from uuid import UUID

from pydantic import AfterValidator, Field, PrivateAttr

from infinite_scribe.domain.commands import (
    MAX_TEXT,
    CancelGeneration,
    CommandPayload,
    RollbackToVersion,
    Text,
    by_type,
)

#: The longest chapter text a writer may confirm (characters): a chapter of a long novel is
#: 3,000-10,000 words; this leaves room while keeping a chapter's events far under the
#: broker's record limit (a RolledBack event may carry several chapters).
MAX_CHAPTER_TEXT = 60_000
#: A waiver's reason: a sentence or two.
MAX_FINDING_REASON = 1000
#: Chapter numbers are 1-based; no outline has more chapters than this.
MAX_CHAPTER = 10_000


def _lf_line_breaks(text: str) -> str:
    """Line breaks as LF: an HTML form sends a textarea's as CRLF, so a chapter confirmed as
    shown would otherwise differ from its draft and be recorded as edited."""
    return text.replace("\r\n", "\n").replace("\r", "\n")


#: A chapter's prose as stored: storable text with LF line breaks.
ChapterText = Annotated[Text, AfterValidator(_lf_line_breaks)]


class RequestChapterDraft(CommandPayload):
    """Draft chapter `chapter` of the confirmed outline (202: an agent writes it)."""

    chapter: int = Field(ge=1, le=MAX_CHAPTER, strict=True)
    wishes: Text | None = Field(default=None, min_length=1, max_length=MAX_TEXT)


class SubmitChapterFeedback(CommandPayload):
    """Revise the chapter's draft applying `feedback` (202: an agent rewrites it)."""

    chapter: int = Field(ge=1, le=MAX_CHAPTER, strict=True)
    feedback: Text = Field(min_length=1, max_length=MAX_TEXT)


class ConfirmChapter(CommandPayload):
    """Confirm the chapter's draft, or `text` as the writer edited it (200)."""

    is_async: ClassVar[bool] = False

    chapter: int = Field(ge=1, le=MAX_CHAPTER, strict=True)
    text: ChapterText | None = Field(default=None, min_length=1, max_length=MAX_CHAPTER_TEXT)
    expected_version: int | None = Field(default=None, ge=0, le=2**31 - 1)


class WaiveFinding(CommandPayload):
    """Mark a continuity finding of the novel as intentional (200, issue 48): it stays in the
    history and in the findings, as waived, and a later check does not open it again."""

    is_async: ClassVar[bool] = False

    finding_id: UUID
    reason: Text | None = Field(default=None, max_length=MAX_FINDING_REASON)
    _finding: Mapping[str, Any] | None = PrivateAttr(default=None)

    @property
    def finding(self) -> Mapping[str, Any] | None:
        return self._finding

    def resolved(self, finding: Mapping[str, Any] | None) -> "WaiveFinding":
        """This command with its finding read (decide stays pure: it reads no table)."""
        copy = self.model_copy()
        copy._finding = finding
        return copy


class RollbackChapters(RollbackToVersion):
    """Go back to a version of the novel's chapters (an `event_id` of its chapter history).

    `scope: "chapter"` (the default for a version of one chapter) restores that chapter only:
    the other chapters keep their text, confirmations and edits. `scope: "novel"` (explicit, and
    the default for a version that names no chapter) puts every chapter back as it was then."""

    scope: Literal["chapter", "novel"] | None = None


#: command_type -> payload model of the novel's commands (its RollbackToVersion is scoped;
#: CancelGeneration is Genesis's own: it stops a chapter's draft or revision, issue 77).
NOVEL_PAYLOAD_MODELS = by_type(
    RequestChapterDraft, SubmitChapterFeedback, ConfirmChapter, WaiveFinding, CancelGeneration
) | {"RollbackToVersion": RollbackChapters}
