"""The story memory projection as a fold of its events (issue 48), pure: what `scribe
projections rebuild --novel` writes, and what `--check` compares with the stored projection.

The memory stream (`Seeded`, then `ChapterChecked`s) says what each chapter said and which
findings each check found or settled; the novel's `Novel.Finding.Waived` events say which the
writer waived. A waiver is final (a later check finds the finding again, and it stays waived),
so waivers are applied last.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from infinite_scribe.domain.continuity import OPEN, RESOLVED, WAIVED, Finding, flag_overdue
from infinite_scribe.domain.story_memory import (
    CHAPTER_CHECKED,
    SEEDED,
    Memory,
    blank,
    with_chapter,
    without_chapter,
)

#: A thread is due this many chapters after it was planted unless the outline says when.
THREAD_HORIZON = 10


@dataclass
class FoldedStory:
    """The projection the events imply: the memory at its version, every finding with its
    status, and the chapter -> event id whose text each checked chapter is."""

    version: int = 0
    memory: Memory = field(default_factory=blank)
    findings: dict[str, Finding] = field(default_factory=dict)
    chapters: dict[int, str] = field(default_factory=dict)


def _checked(story: FoldedStory, payload: Mapping[str, Any]) -> None:
    chapter, read = int(payload["chapter"]), payload.get("read")
    if read is None:
        story.memory = without_chapter(story.memory, chapter)
        story.chapters.pop(chapter, None)
    else:
        source = str(payload["source_event_id"])
        story.memory = with_chapter(story.memory, chapter, source, read, THREAD_HORIZON)
        story.chapters[chapter] = source
    flag_overdue(story.memory, payload.get("findings") or ())
    for finding in payload.get("findings") or ():
        known = story.findings.get(finding["id"])
        if known is None or known["status"] == RESOLVED:
            story.findings[finding["id"]] = dict(finding) | {"status": OPEN, "reason": None}
    for finding_id in payload.get("resolved") or ():
        known = story.findings.get(finding_id)
        if known is not None:
            known["status"] = RESOLVED


def fold_story(
    events: Iterable[tuple[str, Mapping[str, Any]]], waivers: Iterable[Mapping[str, Any]]
) -> FoldedStory:
    """The projection of a memory stream's events (oldest first) and the novel's waivers."""
    story = FoldedStory()
    for event_type, payload in events:
        story.version += 1
        if event_type == SEEDED:
            story.memory = with_chapter(blank(), 0, None, payload["read"], THREAD_HORIZON)
            story.memory["language"] = payload["language"]
        elif event_type == CHAPTER_CHECKED:
            _checked(story, payload)
    for waiver in waivers:
        known = story.findings.get(str(waiver.get("finding_id")))
        if known is not None:
            known["status"], known["reason"] = WAIVED, waiver.get("reason")
    return story
