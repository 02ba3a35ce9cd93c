"""A whole book checked offline, in memory (issue 48): the continuity consumer's use case on
the in-memory storage adapters, chapter after chapter, as the worker would run it on
PostgreSQL. `bench/continuity.py` measures the reader with it; the unit tests use it too."""

import uuid
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, TypeVar

from infinite_scribe.agents.continuity.bible import read_bible, read_for
from infinite_scribe.application.continuity import ChapterReviewer, ContinuityWork
from infinite_scribe.application.ports.writes import Write
from infinite_scribe.domain.chapters import AGGREGATE_TYPE, CONFIRMED
from infinite_scribe.domain.continuity import Finding
from infinite_scribe.domain.novel import NovelBible
from shared_types import EventEnvelope, EventMetadata
from tests.support.memory.adapters import MemoryDatabase, MemoryUnitOfWork
from tests.support.memory.story_memory import MemoryStory

T = TypeVar("T")


async def _inline(function: Callable[..., T], *args: Any) -> T:
    return function(*args)


class OfflineBook:
    """One novel's continuity check in memory: `confirm` its chapters, read its findings."""

    def __init__(
        self,
        bible: NovelBible,
        cpu: Callable[..., Awaitable[Any]] = _inline,
        reviewer: ChapterReviewer | None = None,
    ) -> None:
        self.novel_id, self.user_id = uuid.uuid4(), uuid.uuid4()
        self.db = MemoryDatabase()
        self.db.tables.novels[self.novel_id] = {"bible": bible}
        self.uow = MemoryUnitOfWork(self.db)
        self.work = ContinuityWork(
            self.uow, "offline", "offline", read_for, read_bible, cpu, reviewer=reviewer
        )
        self._version = 0

    def event(self, event_type: str, payload: dict[str, Any]) -> EventEnvelope:
        self._version += 1
        return EventEnvelope(
            event_type=event_type,
            aggregate_type=AGGREGATE_TYPE,
            aggregate_id=str(self.novel_id),
            aggregate_version=self._version,
            payload=payload,
            metadata=EventMetadata(user_id=str(self.user_id), source_service="offline"),
        )

    async def record(self, event: EventEnvelope) -> bool:
        """Store `event` in the novel's stream and hand it to the check."""
        await self.uow.writes.write(Write(events=[event]))
        return await self.work.handle(event)

    async def confirm(self, chapter: int, text: str) -> EventEnvelope:
        event = self.event(CONFIRMED, {"chapter": chapter, "text": text, "edited": False})
        await self.record(event)
        return event

    async def findings(self) -> list[Finding]:
        """Every finding, oldest chapter first."""
        stored = MemoryStory(self.db.tables).all_findings(self.novel_id)
        return sorted(stored, key=lambda f: (f["chapter"], f["kind"]))

    async def memory(self) -> dict[str, Any]:
        stored = await MemoryStory(self.db.tables).stored(self.novel_id)
        return stored.memory or {}


async def check_book(
    bible: NovelBible, chapters: Sequence[str], reviewer: ChapterReviewer | None = None
) -> list[Finding]:
    """The findings of a book whose chapters are confirmed in order (by the reader's rules, or
    by `reviewer`, a model's, where the chapter names someone the book said something of)."""
    book = OfflineBook(bible, reviewer=reviewer)
    for number, text in enumerate(chapters, start=1):
        await book.confirm(number, text)
    return await book.findings()
