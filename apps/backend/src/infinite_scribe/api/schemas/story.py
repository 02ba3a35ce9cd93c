"""The story memory and the continuity findings as OpenAPI shows them (issue 48)."""

from typing import Any, Literal

from pydantic import BaseModel


class EvidenceOut(BaseModel):
    """Where a fact was said: the chapter (0: the bible), the event and the exact quote."""

    chapter: int
    event_id: str | None
    quote: str


class CharacterOut(BaseModel):
    name: str
    aliases: list[str]
    status: Literal["alive", "dead", "missing", "unknown"]
    #: attribute (hair, eyes, age, height, scar, limb, profession, relation:<name>) -> the
    #: latest value said (an age: a number, or a range [lowest, highest] as "in her thirties").
    traits: dict[str, Any]
    #: The chapters the character appears in, as ranges [[first, last], ...].
    chapters: list[list[int]]
    evidence: list[EvidenceOut]


class PlaceOut(BaseModel):
    name: str
    chapters: list[list[int]]
    evidence: list[EvidenceOut]


class ThreadOut(BaseModel):
    id: str
    text: str
    who: str | None
    planted_chapter: int
    due_chapter: int
    resolved_chapter: int | None
    evidence: list[EvidenceOut]


class MemoryOut(BaseModel):
    novel_id: str
    version: int
    #: The book is archived (idle long enough to move to the archive, decision 5101): its
    #: memory is as it was then, and its next write brings it back.
    archived: bool = False
    characters: list[CharacterOut]
    places: list[PlaceOut]
    threads: list[ThreadOut]


class DraftFindingOut(BaseModel):
    """Where a chapter's text contradicts what the book established: a draft's, read before
    the writer sees it (issue 78; `event_id` null), or a confirmed chapter's."""

    id: str
    kind: Literal["dead_character_acts", "trait_changed", "repetition", "thread_overdue"]
    chapter: int
    #: The confirmation (or rollback) event whose chapter text holds the quote.
    event_id: str | None
    quote: str
    evidence: list[EvidenceOut]
    who: str | None = None
    attribute: str | None = None
    value: Any = None
    was: Any = None


class FindingOut(DraftFindingOut):
    status: Literal["open", "waived", "resolved"]
    #: The writer's reason, for a waived finding.
    reason: str | None
    thread: str | None = None
    #: A repeated passage's whole length (its quote is its first 500 characters at most).
    length: int | None = None


class FindingsOut(BaseModel):
    novel_id: str
    findings: list[FindingOut]
    next_cursor: str | None
