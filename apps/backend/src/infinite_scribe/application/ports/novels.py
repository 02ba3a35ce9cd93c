"""Ports of the novel aggregate (issue 39): its state as a command reads it, with a keyed
command's idempotency record, and its stream as the history reads it."""

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol
from uuid import UUID

from infinite_scribe.application.ports.genesis import KeyLookup, KeyRecord
from infinite_scribe.application.ports.storage import RepositoryKey
from infinite_scribe.domain.chapter_history import ChapterPage
from infinite_scribe.domain.chapters import ChaptersVersion, NovelState
from infinite_scribe.domain.novel import NovelBible


@dataclass(frozen=True)
class NovelTarget:
    """What a novel command reads before it decides: the novel (None: not the user's) and,
    for a keyed command, the record of its key."""

    snapshot: NovelState | None
    record: KeyRecord | None = None
    #: Its events are in the archive (a writer brings it back first: application/archive.py).
    archived: bool = False


class NovelRepository(Protocol):
    """The novel aggregate on one connection (in a transaction or autocommit)."""

    async def command_target(
        self, novel_id: UUID, user_id: UUID, lookup: KeyLookup | None
    ) -> NovelTarget: ...

    async def load(self, novel_id: UUID) -> NovelState | None: ...

    async def bible(self, novel_id: UUID) -> NovelBible | None:
        """The novel's bible (what its chapters are written with)."""
        ...

    async def codex(self, novel_id: UUID) -> Mapping[str, Any]:
        """The writer's codex of the session the novel came from (issue 76; {}: none)."""
        ...

    async def finding(self, novel_id: UUID, finding_id: UUID) -> Mapping[str, Any] | None:
        """One continuity finding of the novel, with its status (None: not the novel's)."""
        ...

    async def novel_version(
        self, novel_id: UUID, user_id: UUID, event_id: UUID
    ) -> ChaptersVersion | None:
        """A version of the novel with every chapter right after it, from each chapter's few
        newest versions (None: not a version of this novel); a novel-wide rollback's read."""
        ...

    async def history_page(
        self, novel_id: UUID, user_id: UUID, before: int, limit: int, max_bytes: int
    ) -> ChapterPage:
        """Up to `limit` chapter versions older than `before` (an aggregate version), newest
        first, within about `max_bytes` of payload."""
        ...

    async def chapter_version(
        self, novel_id: UUID, user_id: UUID, event_id: UUID
    ) -> ChaptersVersion | None:
        """A version of one chapter with that chapter right after it, from a few indexed rows
        (None: not a version of this novel, or one naming no chapter)."""
        ...

    async def chapters(self, novel_id: UUID, number: int | None) -> dict[str, dict[str, Any]]:
        """str(number) -> {"status", "text", "beats"}: chapter `number` when it has text, or
        every chapter with text (None: a rollback's read). A NovelState loaded by
        `command_target` or `load` holds no chapter: a use case reads those it needs."""
        ...

    async def confirmed_before(self, novel_id: UUID, number: int, limit: int) -> list[int]:
        """The numbers of the last `limit` CONFIRMED chapters before `number`, in order."""
        ...


#: The novel aggregate's repository.
NOVELS: RepositoryKey[NovelRepository] = RepositoryKey("novels")
