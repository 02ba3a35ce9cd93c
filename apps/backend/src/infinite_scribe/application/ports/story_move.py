"""The story memory projection's move (issue 70): a part of the check's one write statement
(`Write.story`), declared apart from the story ports so the write port can name it."""

from collections.abc import Sequence
from dataclasses import dataclass
from uuid import UUID

from infinite_scribe.domain.continuity import Finding
from infinite_scribe.domain.story_memory import Memory


@dataclass(frozen=True)
class ChapterMarks:
    """A chapter's passage fingerprints and the event its text is in (None: gone)."""

    chapter: int
    event_id: UUID | None
    marks: Sequence[int] = ()


@dataclass(frozen=True)
class MemoryMove:
    """One version-checked move of the projection: the memory, the chapters' fingerprints
    and the findings the events changed, each as the story's `evolve` computed it (status and
    reason included): stored as given, no rule of their own."""

    novel_id: UUID
    user_id: UUID
    old_version: int
    version: int
    memory: Memory
    chapters: Sequence[ChapterMarks] = ()
    findings: Sequence[Finding] = ()
