"""A chapter draft read against the story memory before the writer sees it (issue 78).

The same reader and the same check as a confirmed chapter's (`read_for`, domain/continuity
`check`), on the memory without this chapter: a dead character who acts, a trait said
otherwise than the book established. Each finding becomes a guard note (`Failed` with the
finding): the draft is asked again once with the contradiction named, then shown with its
findings beside it (agents/guarded.py). Before the first confirmed chapter the memory is the
bible read as chapter 0, as the continuity check seeds it. CPU work: the guard runs it off the
loop.
"""

from collections.abc import Callable
from uuid import UUID

from infinite_scribe.agents.continuity.bible import read_bible, read_for
from infinite_scribe.domain import continuity
from infinite_scribe.domain.continuity import DEAD_ACTS, Finding
from infinite_scribe.domain.novel import NovelBible
from infinite_scribe.domain.proposal_guard import (
    DEAD_ACTS as DEAD_ACTS_CODE,
    TRAIT_CHANGED as TRAIT_CODE,
    Failed,
)
from infinite_scribe.domain.story_fold import StoryState, evolve, seeded
from infinite_scribe.domain.story_memory import SEEDED, Memory, without_chapter
from infinite_scribe.text.rules import trait_note

#: Characters of a quote a note names (the finding keeps the whole quote).
_SHORT_QUOTE = 160


def memory_before(memory: Memory | None, bible: NovelBible, chapter: int) -> Memory:
    """What the book established before `chapter`: the memory without it, or the bible's."""
    if memory is None:
        language, read = read_bible(bible)
        memory = evolve(StoryState(), SEEDED, seeded(language, read, 0)).memory
    assert memory is not None  # a seeded state has one
    return without_chapter(memory, chapter)


def draft_findings(novel_id: UUID, before: Memory, chapter: int, text: str) -> list[Finding]:
    """The contradictions of the story memory `before` that a draft of `chapter` holds."""
    language = str(before.get("language") or "en")
    read = read_for(language, text, before)
    return continuity.check(novel_id, before, (chapter, None), read)


def _note(finding: Finding, language: str) -> Failed:
    """A finding as a guard note, said in the writer's `language`."""
    who = str(finding.get("who") or "")
    if finding["kind"] == DEAD_ACTS:
        return Failed(DEAD_ACTS_CODE, who, str(finding["quote"])[:_SHORT_QUOTE], finding)
    attribute = str(finding.get("attribute") or "")
    said = trait_note(language, attribute, finding.get("was"), finding.get("value"))
    return Failed(TRAIT_CODE, who, said, finding)


def draft_checker(
    novel_id: UUID, memory: Memory | None, bible: NovelBible, chapter: int, language: str
) -> Callable[[str], list[Failed]]:
    """A draft's text -> its notes. The memory before the chapter is computed at the first
    call (in the guard's thread: reading a bible is CPU work) and kept for the retry."""
    held: list[Memory] = []

    def notes(text: str) -> list[Failed]:
        if not held:
            held.append(memory_before(memory, bible, chapter))
        return [_note(f, language) for f in draft_findings(novel_id, held[0], chapter, text)]

    return notes
