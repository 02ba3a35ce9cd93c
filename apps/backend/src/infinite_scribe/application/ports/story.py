"""Ports of a novel's story memory and its continuity findings (issue 48): the projection the
continuity check moves (memory, findings, the chapters' passage fingerprints) and its reads."""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol
from uuid import UUID

from infinite_scribe.application.ports.storage import RepositoryKey
from infinite_scribe.application.ports.story_move import ChapterMarks, MemoryMove
from infinite_scribe.domain.continuity import Finding
from infinite_scribe.domain.story_memory import Memory


@dataclass(frozen=True)
class StoredMemory:
    """A novel's memory as projected (version 0 and None memory: not seeded yet)."""

    novel_id: UUID
    version: int = 0
    memory: Memory | None = None
    #: The consumer's ledger holds the event asked about (a redelivery: nothing to do).
    processed: bool = False
    #: The novel's bible version (its `novels.version`: a Genesis finished anew moves it);
    #: None: no such novel (purged).
    bible_version: int | None = None
    #: The novel is archived (the API's read says so to its writer).
    archived: bool = False


class StoryRepository(Protocol):
    """The projection's reads on one connection (a transaction's, or the autocommit one); its
    move is a part of the check's write (`Write.story`, application/ports/story_move.py)."""

    async def stored(self, novel_id: UUID, ledger: tuple[str, UUID] | None = None) -> StoredMemory:
        """The memory row; with `ledger` (consumer, event id) also whether that consumer
        handled that event already, in the same read."""
        ...

    async def sharing(
        self, novel_id: UUID, chapter: int, marks: Sequence[int]
    ) -> list[tuple[int, int]]:
        """(chapter, fingerprints shared) of the other chapters that share any of `marks`."""
        ...

    async def chapter_text(self, novel_id: UUID, chapter: int) -> tuple[str, UUID] | None:
        """A checked chapter's text and the event it is in (None: not confirmed)."""
        ...

    async def touched(
        self, novel_id: UUID, chapter: int | None, ids: Sequence[str]
    ) -> list[Finding]:
        """The findings a check of `chapter` touches, with their status: those with an id of
        `ids` (found again), and the open ones a new version of `chapter` may settle (its
        own, those with evidence in it, the overdue threads); `chapter` None: `ids` only."""
        ...

    async def finding(self, novel_id: UUID, finding_id: UUID) -> Finding | None: ...


class StoryRebuild(Protocol):
    """What `scribe projections rebuild --novel` reads and writes in one transaction."""

    async def owner(self, novel_id: UUID) -> UUID | None:
        """The novel's writer (None: no such novel, purged)."""
        ...

    async def stream(self, novel_id: UUID) -> list[tuple[str, dict[str, Any]]]:
        """The novel's memory stream, oldest first."""
        ...

    async def waivers(self, novel_id: UUID) -> list[dict[str, Any]]:
        """The payloads of the novel's `Novel.Finding.Waived` events."""
        ...

    async def projected(self, novel_id: UUID) -> tuple[StoredMemory, dict[str, Finding]]:
        """The stored projection (locked against the consumer until commit)."""
        ...

    async def text_of(self, novel_id: UUID, chapter: int, event_id: UUID) -> str | None: ...

    async def clear(self, novel_id: UUID) -> None:
        """The projection's rows gone (the rebuild then writes the folded ones)."""
        ...

    async def novel_ids(self) -> list[UUID]:
        """Every novel with a memory stream, in a stable order."""
        ...


class StoryQueries(Protocol):
    """What the API reads: the memory and a page of findings."""

    async def memory(self, novel_id: UUID, user_id: UUID) -> StoredMemory | None:
        """None: not the user's novel."""
        ...

    async def findings(
        self, novel_id: UUID, user_id: UUID, status: str | None, limit: int, after: str | None
    ) -> list[dict[str, Any]] | None: ...


#: The story memory's repository.
STORY: RepositoryKey[StoryRepository] = RepositoryKey("story")
#: Its rebuild's.
STORY_REBUILD: RepositoryKey[StoryRebuild] = RepositoryKey("story_rebuild")


__all__ = ["ChapterMarks", "MemoryMove", "StoredMemory", "StoryQueries", "StoryRebuild"]
