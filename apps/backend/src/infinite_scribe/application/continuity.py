"""The continuity check as a use case (issue 48): a consumer of the novel's confirmed chapters
(`Novel.Chapter.Confirmed`, `Novel.Chapters.RolledBack`) and of the writer's waivers.

The story memory is a Decider (issue 70): its first read is the memory row with the consumer's
ledger (a redelivery costs that read and nothing more); for each chapter an event confirms (or
takes back) it runs the reader and the passage search off the event loop (`cpu`), decides the
`ChapterChecked` event (what the chapter said, its findings and those it settled) and evolves
the state with the one `evolve` of domain/story_fold.py, which the rebuild and the in-memory
adapter use too. One write statement then holds the ledger row, the memory stream's events and
the projection's version-checked move (`Write.story`): what `evolve` computed, stored as it
is. A lost race (another check of the same novel) runs again.

A check is taken at its start (`CheckLedger.begin`, issue 71): an event checked already costs
one read, and a check begun MAX_ATTEMPTS times (each ended by a crash, a kill, an OOM) is
recorded without its costly parts. Each check has a time budget: past it, what is left is
skipped and the `ChapterChecked` says so (`"incomplete": "budget"`).
"""

import asyncio
import itertools
import logging
import time
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any
from uuid import UUID

from infinite_scribe.application.aggregates import Origin, envelopes
from infinite_scribe.application.ports.checks import CheckLedger
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
from infinite_scribe.domain.chapters import (
    CONFIRMED,
    CONFIRMED_STATUS,
    FINDING_WAIVED as WAIVED,
    ROLLED_BACK,
    Decided,
)
from infinite_scribe.domain.continuity import Finding
from infinite_scribe.domain.novel import NovelBible
from infinite_scribe.domain.story_fold import (
    ChapterVersion,
    StoryState,
    decide_checked,
    evolve,
    ranked_findings,
    seeded,
)
from infinite_scribe.domain.story_memory import (
    AGGREGATE_TYPE,
    CHAPTER_CHECKED,
    SEEDED,
    Memory,
    blank,
    without_chapter,
)
from shared_types import EventEnvelope, EventMetadata

logger = logging.getLogger(__name__)
#: (language, chapter text, the memory before it) -> what the chapter says (agents/continuity).
ChapterReader = Callable[[str, str, Memory], dict[str, Any]]
#: The bible -> (its language, what it says, as chapter 0).
BibleReader = Callable[[NovelBible], tuple[str, dict[str, Any]]]
#: (language, chapter, text, what was said before of its characters) -> a model's findings
#: (agents/continuity/model_review.py); None: the offline reader's rules find them.
ChapterReviewer = Callable[[str, int, str, Any], Awaitable[list[dict[str, Any]]]]
_IDS = uuid.UUID("0b7d7f0e-5e0a-4a43-8f5e-3c3ad1e6b448")
#: The other chapters a chapter's passages are compared with (those sharing most marks).
_COMPARED = 3
#: A check's time budget (s): past it the rest of the check is skipped, and says so.
CHECK_BUDGET_SECONDS = 60.0
#: A check begun this many times without its results stored is recorded without its costly
#: parts (each attempt ended with the worker: a kill, an OOM): never a loop of restarts.
MAX_ATTEMPTS = 3
#: What a chapter read without its reader says (past the budget, or after MAX_ATTEMPTS).
_UNREAD = ("seen", "new", "places", "facts")


@dataclass
class _Plan:
    """What one event does to the memory: the events decided, the state they evolve to (from
    the state as read, with the findings the event touches) and the chapters' fingerprints."""

    stored: StoredMemory
    read: StoryState
    state: StoryState
    decided: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    chapters: list[ChapterMarks] = field(default_factory=list)
    #: When the check stops doing its costly parts (its budget's end, a monotonic time).
    deadline: float = float("inf")

    def apply(self, event_type: str, payload: dict[str, Any], recorded: bool = True) -> None:
        self.state = evolve(self.state, event_type, payload)
        if recorded:
            self.decided.append((event_type, payload))

    def touched(self, findings: Sequence[Finding]) -> None:
        """Findings read from the projection, held by both states (the read one and the
        evolving one) so the move writes only what the events changed."""
        held = {f["id"]: f for f in findings if f["id"] not in self.state.findings}
        self.read = replace(self.read, findings=dict(self.read.findings) | held)
        self.state = replace(self.state, findings=dict(self.state.findings) | held)


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
        ledger: CheckLedger | None = None,
        budget: tuple[float, Callable[[], float]] = (CHECK_BUDGET_SECONDS, time.monotonic),
    ) -> None:
        self.uow = uow
        self.consumer = consumer
        self.source_service = source_service
        self.reader = reader
        self.seeder = seeder
        self.cpu = cpu
        self.reviewer = reviewer
        self.ledger = ledger
        #: (seconds, clock): the time budget of one check and the clock it is measured by.
        self.budget = budget

    async def handle(self, event: EventEnvelope) -> bool:
        """Check what `event` confirms or takes back, or record a waiver; False: handled
        before (a redelivery) or nothing to do."""
        if not is_continuity_event(event.event_type):
            return False
        begun = 1
        if self.ledger is not None:
            taken = await self.ledger.begin(self.consumer, event.event_id)
            if taken is None:
                return False  # checked before (a redelivery, a re-drive's copy)
            begun = taken

        async def attempt(number: int) -> bool:
            seconds, clock = self.budget
            # Past MAX_ATTEMPTS the budget is spent before the check starts.
            deadline = clock() + seconds if begun <= MAX_ATTEMPTS else -float("inf")
            plan = await self._plan(event, deadline)
            # One statement: the ledger row, the memory stream's events and the projection's
            # version-checked move (a redelivery meets the ledger, a race the version); a
            # novel that is gone (None) gets its ledger row alone, never to be re-driven.
            ledger = LedgerRow(self.consumer, event.event_id)
            if plan is None:
                await self.uow.writes.write(Write(ledger=ledger, events=[]))
                return False
            events = self._events(event, plan)
            await self.uow.writes.write(
                Write(ledger=ledger, events=events, story=self._move(event, plan))
            )
            return True

        try:
            checked = await with_retries(attempt)
        except (AlreadyProcessed, EventAlreadyStored):
            checked = False
        if self.ledger is not None:
            await self.ledger.finish(self.consumer, event.event_id)
        return checked

    async def _plan(self, event: EventEnvelope, deadline: float) -> _Plan | None:
        """The plan of `event`, or None: nothing to remember (the novel is gone); handled
        before (the ledger, read with the memory in the first read: a redelivery costs that
        one read) raises AlreadyProcessed."""
        novel_id = UUID(event.aggregate_id)
        async with self.uow.autocommit() as reads:
            stored = await reads.repository(STORY).stored(novel_id, (self.consumer, event.event_id))
            if stored.processed:
                raise AlreadyProcessed(str(event.event_id))
            if stored.bible_version is None:
                return None  # the novel is gone (purged)
            # The bible is read (again) when the memory has not seen this version of it: the
            # first time, or after a Genesis finished anew (a character renamed is followed).
            seen = (stored.memory or {}).get("bible_version")
            stale = seen != stored.bible_version
            bible = await reads.repository(NOVELS).bible(novel_id) if stale else None
        state = StoryState(stored.version, stored.memory)
        plan = _Plan(stored, state, state, deadline=deadline)
        if bible is not None:
            language, read = await self.cpu(self.seeder, bible)
            source = bible.source_event_id
            plan.apply(SEEDED, seeded(language, read, stored.bible_version, source))
        elif stored.memory is None:
            return None
        story = _Reads(self.uow)
        if event.event_type == WAIVED:
            plan.touched(await story.touched(novel_id, None, [str(event.payload["finding_id"])]))
            plan.apply(WAIVED, dict(event.payload), recorded=False)  # the novel's own event
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
        memory = plan.state.memory or blank()
        before = without_chapter(memory, chapter)
        where = (chapter, str(event_id))
        found: list[dict[str, Any]] = []
        read: dict[str, Any] | None = None
        marks: list[int] = []
        clock, incomplete = self.budget[1], False
        if text is not None:
            incomplete = clock() > plan.deadline
            language = memory.get("language", "en")
            unread: dict[str, Any] = {key: [] for key in _UNREAD}
            read = unread if incomplete else await self.cpu(self.reader, language, text, before)
            own = await self.cpu(passages.marks, text)
            marks = [mark for mark, _ in own]
            if not incomplete:
                chapter_read = (text, read, plan.deadline - clock())
                found = await self._findings(novel_id, before, where, chapter_read)
            incomplete = incomplete or clock() > plan.deadline
            if not incomplete:
                found += await self._repeats(story, novel_id, where, text, own)
        # The decision is the domain's; between its two steps the findings it touches are read.
        version = ChapterVersion(chapter, str(event_id), text, read)
        found, said = ranked_findings(plan.state, novel_id, version, found)
        plan.touched(await story.touched(novel_id, chapter, [f["id"] for f in found]))
        plan.chapters.append(ChapterMarks(chapter, None if text is None else event_id, marks))
        if incomplete:
            logger.warning("continuity check of chapter %s incomplete: budget", chapter)
        plan.apply(CHAPTER_CHECKED, decide_checked(plan.state, version, found, said, incomplete))

    async def _findings(
        self,
        novel_id: UUID,
        before: Memory,
        where: tuple[int, str],
        chapter: tuple[str, dict[str, Any], float],
    ) -> list[dict[str, Any]]:
        """The chapter's contradictions: the offline reader's rules', and where there is a
        model, its findings (with their proof) about what the rules did not find; a model that
        fails or does not answer within the check's budget (the seconds left, `chapter`'s
        last) leaves the rules'."""
        text, read, seconds = chapter
        rules = continuity.check(novel_id, before, where, read)
        facts = continuity.review_facts(before, where[0], read.get("seen", ()))
        if self.reviewer is None or not facts:
            return rules
        language = str(before.get("language", "en"))
        try:
            review = self.reviewer(language, where[0], text, facts)
            said = await asyncio.wait_for(review, max(seconds, 0.0))
        except Exception as error:  # the model's failure is not the book's: the rules stand
            logger.warning("continuity review by the model failed, rules used: %s", error)
            return rules
        model = continuity.from_model(novel_id, before, where, said, text)
        return continuity.with_model(rules, model)

    async def _repeats(
        self,
        story: "_Reads",
        novel_id: UUID,
        where: tuple[int, str],
        text: str,
        own: list[tuple[int, int]],
    ) -> list[dict[str, Any]]:
        """Passages of 50+ characters the chapter repeats from the chapters that share most of
        its fingerprints (looked up, not read: flat in the book's length), quoted and named
        off the loop (thousands in a chapter of shuffled blocks). A chapter never repeats
        itself: what it says twice is its own style, not the book's memory."""
        repeats: list[tuple[passages.Passage, int, str]] = []
        sharing = await story.sharing(novel_id, where[0], [mark for mark, _ in own])
        for other in passages.best_chapters(sharing, _COMPARED):
            stored = await story.chapter_text(novel_id, other)
            if stored is not None:
                found = await self.cpu(passages.shared, text, stored[0], False, own)
                repeats += [(p, other, str(stored[1])) for p in found]
        return await self.cpu(continuity.repeated, novel_id, where, repeats, text)

    def _events(self, event: EventEnvelope, plan: _Plan) -> list[EventEnvelope]:
        if not plan.decided:
            return []
        decided = [Decided(t, p) for t, p in plan.decided]
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

    def _move(self, event: EventEnvelope, plan: _Plan) -> MemoryMove:
        """The projection's move: what `evolve` computed, stored as it is."""
        changed = [
            finding
            for finding_id, finding in plan.state.findings.items()
            if plan.read.findings.get(finding_id) != finding
        ]
        return MemoryMove(
            novel_id=UUID(event.aggregate_id),
            user_id=UUID(str(event.metadata.user_id)),
            old_version=plan.stored.version,
            version=plan.state.version,
            memory=plan.state.memory or blank(),
            chapters=plan.chapters,
            findings=changed,
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

    async def touched(
        self, novel_id: UUID, chapter: int | None, ids: Sequence[str]
    ) -> list[Finding]:
        async with self.uow.autocommit() as reads:
            return await reads.repository(STORY).touched(novel_id, chapter, ids)
