"""The continuity check as a use case (issue 48): a consumer of the novel's confirmed chapters
(`Novel.Chapter.Confirmed`, `Novel.Chapters.RolledBack`) and of the writer's waivers.

For each chapter an event confirms (or takes back), it reads the memory as projected, runs the
reader and the passage search off the event loop (`cpu`), and writes in one transaction the
consumer's ledger row, the memory stream's events (`Seeded` from the bible the first time,
then `ChapterChecked` with what the chapter said, its findings and those it settled) and the
projection's version-checked move. A lost race (another check of the same novel) runs again.
"""

import asyncio
import itertools
import logging
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar
from uuid import UUID

from infinite_scribe.application.aggregates import Origin, envelopes
from infinite_scribe.application.ports.novels import NOVELS
from infinite_scribe.application.ports.storage import UnitOfWork
from infinite_scribe.application.ports.story import (
    STORY,
    ChapterMarks,
    MemoryMove,
    StoredMemory,
)
from infinite_scribe.application.ports.writes import (
    AlreadyProcessed,
    EventAlreadyStored,
    LedgerRow,
    Write,
)
from infinite_scribe.application.retries import with_retries
from infinite_scribe.domain import continuity, passages
from infinite_scribe.domain.chapters import CONFIRMED, CONFIRMED_STATUS, ROLLED_BACK
from infinite_scribe.domain.novel import NovelBible
from infinite_scribe.domain.story_fold import THREAD_HORIZON
from infinite_scribe.domain.story_memory import (
    AGGREGATE_TYPE,
    CHAPTER_CHECKED,
    SEEDED,
    Memory,
    blank,
    with_chapter,
    without_chapter,
)
from shared_types import EventEnvelope, EventMetadata

T = TypeVar("T")
logger = logging.getLogger(__name__)
#: (language, chapter text, the memory before it) -> what the chapter says (agents/continuity).
ChapterReader = Callable[[str, str, Memory], dict[str, Any]]
#: The bible -> (its language, what it says, as chapter 0).
BibleReader = Callable[[NovelBible], tuple[str, dict[str, Any]]]
#: (language, chapter, text, what was said before of its characters) -> a model's findings
#: (agents/continuity/model_review.py); None: the offline reader's rules find them.
ChapterReviewer = Callable[[str, int, str, Any], Awaitable[list[dict[str, Any]]]]
WAIVED = "Novel.Finding.Waived"
_IDS = uuid.UUID("0b7d7f0e-5e0a-4a43-8f5e-3c3ad1e6b448")
#: The other chapters a chapter's passages are compared with (those sharing most marks).
_COMPARED = 3


@dataclass
class _Plan:
    """What one event does to the memory: the events and the projection's move."""

    stored: StoredMemory
    memory: Memory
    decided: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    chapters: list[ChapterMarks] = field(default_factory=list)
    findings: list[dict[str, Any]] = field(default_factory=list)
    resolved: list[str] = field(default_factory=list)
    waived: dict[str, str] = field(default_factory=dict)


def chapters_of(event: EventEnvelope) -> list[tuple[int, str | None]]:
    """(chapter, its confirmed text or None: not confirmed any more) of a chapter event."""
    payload = event.payload
    if event.event_type == CONFIRMED:
        return [(int(payload["chapter"]), str(payload["text"]))]
    if event.event_type != ROLLED_BACK:
        return []
    changed = [
        (int(n), str(c["text"]) if c.get("status") == CONFIRMED_STATUS and c.get("text") else None)
        for n, c in (payload.get("chapters") or {}).items()
    ]
    return sorted(changed + [(int(n), None) for n in payload.get("removed") or ()])


#: The events the continuity check takes (the agent worker routes them to it).
CONTINUITY_EVENTS = frozenset({CONFIRMED, ROLLED_BACK, WAIVED})


def is_continuity_event(event_type: str | None) -> bool:
    return event_type in CONTINUITY_EVENTS


class ContinuityWork:
    """The continuity consumer's use cases; `consumer` names its ledger."""

    def __init__(
        self,
        uow: UnitOfWork,
        consumer: str,
        source_service: str,
        reader: ChapterReader,
        seeder: BibleReader,
        cpu: Callable[..., Awaitable[Any]] = asyncio.to_thread,
        reviewer: ChapterReviewer | None = None,
    ) -> None:
        self.uow = uow
        self.consumer = consumer
        self.source_service = source_service
        self.reader = reader
        self.seeder = seeder
        self.cpu = cpu
        self.reviewer = reviewer

    async def handle(self, event: EventEnvelope) -> bool:
        """Check what `event` confirms or takes back, or record a waiver; False: handled
        before (a redelivery) or nothing to do."""
        if not is_continuity_event(event.event_type):
            return False

        async def attempt(number: int) -> bool:
            plan = await self._plan(event)
            if plan is None:
                return False
            async with self.uow.transaction() as tx:
                events = self._events(event, plan)
                await tx.write(
                    Write(ledger=LedgerRow(self.consumer, event.event_id), events=events)
                )
                await tx.repository(STORY).move(self._move(event, plan, len(events)))
            return True

        try:
            return await with_retries(attempt)
        except (AlreadyProcessed, EventAlreadyStored):
            return False

    async def _plan(self, event: EventEnvelope) -> _Plan | None:
        novel_id = UUID(event.aggregate_id)
        async with self.uow.autocommit() as reads:
            stored = await reads.repository(STORY).stored(novel_id)
            bible = None if stored.memory else await reads.repository(NOVELS).bible(novel_id)
        plan = _Plan(stored, stored.memory or blank())
        if stored.memory is None:
            if bible is None:
                return None  # the novel is gone (purged): nothing to remember
            language, read = await self.cpu(self.seeder, bible)
            plan.memory = with_chapter(blank(), 0, None, read, THREAD_HORIZON)
            plan.memory["language"] = language
            plan.decided.append((SEEDED, {"language": language, "read": read}))
        story = _Reads(self.uow)
        if event.event_type == WAIVED:
            found = await story.finding(novel_id, UUID(str(event.payload["finding_id"])))
            if found is not None:
                plan.waived[found["id"]] = str(event.payload.get("reason") or "")
            return plan
        for chapter, text in chapters_of(event):
            await self._check(story, novel_id, plan, (chapter, text, event.event_id))
        return plan

    async def _check(
        self,
        story: "_Reads",
        novel_id: UUID,
        plan: _Plan,
        what: tuple[int, str | None, UUID],
    ) -> None:
        chapter, text, event_id = what
        before = without_chapter(plan.memory, chapter)
        where = (chapter, str(event_id))
        found: list[dict[str, Any]] = []
        read: dict[str, Any] | None = None
        marks: list[int] = []
        plan.memory = before
        if text is not None:
            read = await self.cpu(self.reader, plan.memory.get("language", "en"), text, before)
            plan.memory = with_chapter(before, chapter, str(event_id), read, THREAD_HORIZON)
            own = await self.cpu(passages.marks, text)
            marks = [mark for mark, _ in own]
            found = await self._findings(novel_id, before, where, (text, read))
            found += await self._repeats(story, novel_id, where, text, own)
            found += continuity.overdue(novel_id, plan.memory, where)
            continuity.flag_overdue(plan.memory, found)
        ids = {f["id"] for f in found}
        open_findings = await story.open_findings(novel_id, chapter)
        settled = continuity.resolved(open_findings, chapter, ids, text, plan.memory)
        plan.chapters.append(ChapterMarks(chapter, None if text is None else event_id, marks))
        plan.findings += found
        plan.resolved += settled
        payload = {"chapter": chapter, "source_event_id": str(event_id), "read": read}
        plan.decided.append((CHAPTER_CHECKED, payload | {"findings": found, "resolved": settled}))

    async def _findings(
        self,
        novel_id: UUID,
        before: Memory,
        where: tuple[int, str],
        chapter: tuple[str, dict[str, Any]],
    ) -> list[dict[str, Any]]:
        """The chapter's contradictions: the model's (with their proof) when there is one,
        else (or when it fails) the offline reader's rules'."""
        text, read = chapter
        facts = continuity.review_facts(before, where[0], read.get("seen", ()))
        if self.reviewer is None or not facts:
            return continuity.check(novel_id, before, where, read)
        language = str(before.get("language", "en"))
        try:
            said = await self.reviewer(language, where[0], text, facts)
        except Exception as error:  # the model's failure is not the book's: the rules stand
            logger.warning("continuity review by the model failed, rules used: %s", error)
            return continuity.check(novel_id, before, where, read)
        return continuity.from_model(novel_id, before, where, said, text)

    async def _repeats(
        self,
        story: "_Reads",
        novel_id: UUID,
        where: tuple[int, str],
        text: str,
        own: list[tuple[int, int]],
    ) -> list[dict[str, Any]]:
        """Passages of 50+ characters the chapter repeats: from itself, and from the chapters
        that share most of its fingerprints (looked up, not read: flat in the book's length)."""
        itself = await self.cpu(passages.shared, text, text, True, own)
        repeats = [(p, where[0], where[1]) for p in itself]
        sharing = await story.sharing(novel_id, where[0], [mark for mark, _ in own])
        for other in passages.best_chapters(sharing, _COMPARED):
            stored = await story.chapter_text(novel_id, other)
            if stored is not None:
                found = await self.cpu(passages.shared, text, stored[0], False, own)
                repeats += [(p, other, str(stored[1])) for p in found]
        return continuity.repetitions(novel_id, where, _earliest(repeats))

    def _events(self, event: EventEnvelope, plan: _Plan) -> list[EventEnvelope]:
        if not plan.decided:
            return []
        decided = [_Decided(t, p) for t, p in plan.decided]
        counter = itertools.count()
        origin = Origin(
            correlation_id=event.correlation_id,
            causation_id=event.event_id,
            metadata=EventMetadata(
                user_id=event.metadata.user_id,
                source_service=self.source_service,
                traceparent=event.metadata.traceparent,
            ),
            actor_id=f"agent:{self.source_service}",
            # Ids derived from the cause: a redelivery writes the same events (stored once).
            event_ids=lambda _: uuid.uuid5(_IDS, f"{event.event_id}:{next(counter)}"),
        )
        return envelopes(AGGREGATE_TYPE, event.aggregate_id, plan.stored.version, decided, origin)

    def _move(self, event: EventEnvelope, plan: _Plan, appended: int) -> MemoryMove:
        return MemoryMove(
            novel_id=UUID(event.aggregate_id),
            user_id=UUID(str(event.metadata.user_id)),
            old_version=plan.stored.version,
            version=plan.stored.version + appended,
            memory=plan.memory,
            chapters=plan.chapters,
            findings=plan.findings,
            resolved=plan.resolved,
            waived=plan.waived,
        )


class _Reads:
    """The projection's reads a check makes, each on a pooled connection of its own for just
    that read: none is held while the reader runs or a model answers (seconds)."""

    def __init__(self, uow: UnitOfWork) -> None:
        self.uow = uow

    async def sharing(
        self, novel_id: UUID, chapter: int, marks: Sequence[int]
    ) -> list[tuple[int, int]]:
        async with self.uow.autocommit() as reads:
            return await reads.repository(STORY).sharing(novel_id, chapter, marks)

    async def chapter_text(self, novel_id: UUID, chapter: int) -> tuple[str, UUID] | None:
        async with self.uow.autocommit() as reads:
            return await reads.repository(STORY).chapter_text(novel_id, chapter)

    async def open_findings(self, novel_id: UUID, chapter: int) -> list[dict[str, Any]]:
        async with self.uow.autocommit() as reads:
            return await reads.repository(STORY).open_findings(novel_id, chapter)

    async def finding(self, novel_id: UUID, finding_id: UUID) -> dict[str, Any] | None:
        async with self.uow.autocommit() as reads:
            return await reads.repository(STORY).finding(novel_id, finding_id)


@dataclass(frozen=True)
class _Decided:
    event_type: str
    payload: dict[str, Any]


def _earliest(
    repeats: list[tuple[passages.Passage, int, str]],
) -> list[tuple[str, int, str]]:
    """One finding per stretch of the chapter: the earliest chapter it repeats is the evidence
    (a passage also in chapters 1 and 3 cites chapter 1)."""
    kept: list[tuple[passages.Passage, int, str]] = []
    for repeat in sorted(repeats, key=lambda r: (r[1], r[0].start)):
        if not any(passages.same_stretch(repeat[0], k) for k, _, _ in kept):
            kept.append(repeat)
    return [(p.quote, chapter, event_id) for p, chapter, event_id in kept]
