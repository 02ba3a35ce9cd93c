"""`scribe projections rebuild --novel ID` (or `--all`): the story memory projection rebuilt (or
checked) from the memory stream and the novel's waivers alone (domain/story_fold.py).

Each novel in a transaction of its own that locks its memory row, so a rebuild can run beside a
live continuity consumer; the chapters' passage fingerprints are computed again from the texts
the stream names (the one part of the projection not in the events themselves). A purged
novel's stream ends in its tombstone: nothing is projected of it. A novel whose events cannot
be folded is a line of the report (`error`), and the others are checked all the same.
"""

import functools
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from uuid import UUID

from infinite_scribe.application.ports.storage import UnitOfWork
from infinite_scribe.application.ports.story import (
    STORY_REBUILD,
    ChapterMarks,
    MemoryMove,
    StoredMemory,
    StoryRebuild,
)
from infinite_scribe.application.ports.writes import Write
from infinite_scribe.application.retries import with_retries
from infinite_scribe.domain import passages
from infinite_scribe.domain.continuity import Finding
from infinite_scribe.domain.story_fold import StoryState, fold_story

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class StoryDifference:
    novel_id: UUID
    #: What differs: "memory", "version", "finding <id>".
    what: tuple[str, ...]
    #: Why the novel could not be folded (None: it was).
    error: str | None = None


@dataclass
class StoryReport:
    checked: int = 0
    rewritten: int = 0
    differences: list[StoryDifference] = field(default_factory=list)


def _differences(
    stored: StoredMemory, findings: dict[str, Finding], folded: StoryState
) -> tuple[str, ...]:
    what = []
    # A purged novel's projection is gone with its novel row: nothing is expected.
    expected = 0 if folded.purged else folded.version
    if stored.version != expected:
        what.append(f"version: stored={stored.version} expected={expected}")
    if (stored.memory or {}) != (folded.memory or {}):
        what.append("memory")
    for finding_id in sorted(set(findings) | set(folded.findings)):
        if findings.get(finding_id) != folded.findings.get(finding_id):
            what.append(f"finding {finding_id}")
    return tuple(what)


class StoryRebuilder:
    """Check or rewrite the story memory projection of novels from their events."""

    def __init__(self, uow: UnitOfWork) -> None:
        self.uow = uow

    async def run(
        self,
        novel_ids: Iterable[UUID] | None,
        *,
        write: bool,
        on_progress: Callable[[int], None] | None = None,
    ) -> StoryReport:
        if novel_ids is None:
            async with self.uow.autocommit() as reads:
                novel_ids = await reads.repository(STORY_REBUILD).novel_ids()
        report = StoryReport()
        for novel_id in novel_ids:
            report.checked += 1
            try:
                what = await with_retries(functools.partial(self._attempt, novel_id, write))
            except Exception as error:  # one novel's trouble is a line, not the end of the run
                logger.exception("the story memory of novel %s could not be folded", novel_id)
                failed = StoryDifference(novel_id, (), f"{type(error).__name__}: {error}")
                report.differences.append(failed)
            else:
                if what:
                    report.differences.append(StoryDifference(novel_id, what))
                    report.rewritten += int(write)
            if on_progress is not None:
                on_progress(1)
        return report

    async def _attempt(self, novel_id: UUID, write: bool, number: int) -> tuple[str, ...]:
        return await self.one(novel_id, write=write)

    async def one(self, novel_id: UUID, *, write: bool) -> tuple[str, ...]:
        async with self.uow.transaction() as tx:
            repository = tx.repository(STORY_REBUILD)
            stored, findings = await repository.projected(novel_id)
            folded = fold_story(
                await repository.stream(novel_id), await repository.waivers(novel_id)
            )
            what = _differences(stored, findings, folded)
            owner = await repository.owner(novel_id)
            if what and write and owner is not None and not folded.purged:
                chapters = await _chapters(repository, novel_id, folded)
                await repository.clear(novel_id)
                if folded.memory is not None:  # written as the live check writes it
                    move = MemoryMove(
                        novel_id, owner, 0, folded.version, folded.memory, chapters,
                        list(folded.findings.values()),
                    )  # fmt: skip
                    await tx.write(Write(story=move))
        return what


async def _chapters(
    repository: StoryRebuild, novel_id: UUID, folded: StoryState
) -> list[ChapterMarks]:
    marked = []
    for chapter, event_id in sorted(folded.chapters.items()):
        text = await repository.text_of(novel_id, chapter, UUID(event_id))
        marks = [] if text is None else [mark for mark, _ in passages.marks(text)]
        marked.append(ChapterMarks(chapter, UUID(event_id), marks))
    return marked
