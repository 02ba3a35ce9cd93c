"""The story memory as a Decider (issue 48, issue 70), pure: its state, what a chapter's check
decides (`ranked_findings`, then `decide_checked`: issue 75; the application gathers their
inputs and writes what they decide) and the one `evolve` that the live continuity check,
`scribe projections rebuild` and the in-memory adapter all use.

The memory stream (`Seeded`, then `ChapterChecked`s, then perhaps the `Purged` tombstone) says
what each chapter said and which findings each check found or settled; the novel's
`Novel.Finding.Waived` events say which the writer waived. The status of a finding is computed
here and nowhere else: found -> open (a resolved one opens again), settled -> resolved, waived
-> waived for good (a later check neither reopens nor resolves it, a second waiver changes
nothing: the first reason stays). So a waiver gives the same state whether it is applied where
it happened or after the whole stream, which is what lets the rebuild fold the two streams one
after the other.

A live check holds only the findings it touches (those it finds again and those it may
settle); the fold holds them all. Either way `evolve` says what each becomes, and the
projection stores exactly that.
"""

from collections.abc import Iterable, Mapping
from copy import deepcopy
from dataclasses import dataclass, field, replace
from typing import Any
from uuid import UUID

from infinite_scribe.domain.chapters import FINDING_WAIVED
from infinite_scribe.domain.continuity import (
    OPEN,
    RESOLVED,
    TRAIT_CHANGED,
    WAIVED,
    Finding,
    flag_overdue,
    overdue,
    ranked,
    resolved,
)
from infinite_scribe.domain.story_memory import (
    CHAPTER_CHECKED,
    PURGED,
    SEEDED,
    Memory,
    blank,
    contest,
    renamed,
    waive,
    with_chapter,
    without_chapter,
)

#: A thread is due this many chapters after it was planted unless the outline says when.
THREAD_HORIZON = 10


@dataclass(frozen=True)
class StoryState:
    """The projection the events imply: the memory at its stream version (None: not seeded),
    the findings held with their status, and the chapter -> event id whose text each checked
    chapter is; `purged`: the stream ended in its tombstone (nothing is projected)."""

    version: int = 0
    memory: Memory | None = None
    findings: Mapping[str, Finding] = field(default_factory=dict)
    chapters: Mapping[int, str] = field(default_factory=dict)
    purged: bool = False


def seeded(
    language: str, read: Mapping[str, Any], bible_version: int, source: str | None = None
) -> dict[str, Any]:
    """The `Seeded` payload: the bible (the novel's `bible_version`, confirmed by the event
    `source`) read as chapter 0; its characters' names in the cards' order (`cast`), to follow
    a rename."""
    cast = list(read.get("seen") or [])
    payload = {"language": language, "read": dict(read), "cast": cast}
    return payload | {"bible_version": bible_version, "source_event_id": source}


def checked(
    chapter: int,
    source_event_id: str,
    read: Mapping[str, Any] | None,
    found: Iterable[Finding] = (),
    settled: Iterable[str] = (),
) -> dict[str, Any]:
    """The `ChapterChecked` payload (`read` None: the chapter is no longer confirmed)."""
    return {
        "chapter": chapter,
        "source_event_id": source_event_id,
        "read": None if read is None else dict(read),
        "findings": list(found),
        "resolved": list(settled),
    }


@dataclass(frozen=True)
class ChapterVersion:
    """A chapter version a check decides about: its number, the event that confirmed it or took
    it back, its text (None: no longer confirmed) and what the reader said of it (None: unread)."""

    chapter: int
    event_id: str
    text: str | None
    read: Mapping[str, Any] | None


def ranked_findings(
    state: StoryState, novel_id: UUID, version: ChapterVersion, found: Iterable[Finding]
) -> tuple[list[Finding], Memory]:
    """A check's first decision: the findings gathered (the rules', a model's, the repeats) with
    the threads the chapter leaves overdue, ranked; and the memory as the chapter says it (the
    threads it plants and pays off), which `decide_checked` settles against."""
    said = evolve(state, CHAPTER_CHECKED, checked(version.chapter, version.event_id, version.read))
    memory = said.memory or blank()
    found = list(found)
    if version.text is not None:
        found += overdue(novel_id, memory, (version.chapter, version.event_id))
    return ranked(found), memory


def decide_checked(
    state: StoryState,
    version: ChapterVersion,
    found: list[Finding],
    said: Memory,
    incomplete: bool = False,
) -> dict[str, Any]:
    """A check's `ChapterChecked`, once `state` holds the findings it touches: what the chapter
    says, its findings and the open ones it settles; `incomplete`: what the check skipped past
    its budget, said (issue 71)."""
    open_ones = [f for f in state.findings.values() if f["status"] == OPEN]
    found_ids = {f["id"] for f in found}
    settled = resolved(open_ones, version.chapter, found_ids, version.text, said)
    payload = checked(version.chapter, version.event_id, version.read, found, settled)
    if incomplete:
        payload["incomplete"] = "budget"
    return payload


def _found(findings: dict[str, Finding], found: Iterable[Mapping[str, Any]]) -> None:
    for finding in found:
        known = findings.get(finding["id"])
        if known is None or known["status"] == RESOLVED:
            findings[finding["id"]] = dict(finding) | {"status": OPEN, "reason": None}


def _settled(findings: dict[str, Finding], settled: Iterable[str]) -> None:
    for finding_id in settled:
        known = findings.get(finding_id)
        if known is not None and known["status"] == OPEN:
            findings[finding_id] = dict(known) | {"status": RESOLVED}


def _checked(state: StoryState, payload: Mapping[str, Any]) -> StoryState:
    chapter, read = int(payload["chapter"]), payload.get("read")
    memory = state.memory if state.memory is not None else blank()
    chapters = dict(state.chapters)
    if read is None:
        memory = without_chapter(memory, chapter)
        chapters.pop(chapter, None)
    else:
        source = str(payload["source_event_id"])
        memory = with_chapter(memory, chapter, source, read, THREAD_HORIZON)
        chapters[chapter] = source
    found = payload.get("findings") or ()
    flag_overdue(memory, found)
    findings = dict(state.findings)
    _found(findings, found)
    _settled(findings, payload.get("resolved") or ())
    for finding in found:  # a waived one found again is established already
        if finding["kind"] == TRAIT_CHANGED and findings[finding["id"]]["status"] != WAIVED:
            contest(memory, finding)
    return replace(state, memory=memory, findings=findings, chapters=chapters)


def _seeded(memory: Memory | None, payload: Mapping[str, Any]) -> Memory:
    """The memory after the bible was read (again: a Genesis finished anew changed it): its
    renamed characters followed, what it says replacing what it said (chapter 0)."""
    read = payload["read"]
    if memory is not None and "cast" in payload:
        memory = renamed(memory, list(payload["cast"]))
    before = {} if memory is None else memory["threads"]
    source = payload.get("source_event_id")  # the bible's facts point at its confirmation
    memory = with_chapter(memory or blank(), 0, source, read, THREAD_HORIZON)
    for thread_id, thread in memory["threads"].items():
        if thread["from_chapter"] == 0 and thread_id in before:  # the outline's, planted again
            kept = ("resolved_chapter", "payoff", "flagged")
            thread.update({k: before[thread_id][k] for k in kept if k in before[thread_id]})
    memory["language"] = payload["language"]
    if "cast" in payload:
        memory["cast"], memory["bible_version"] = list(payload["cast"]), payload["bible_version"]
    return memory


def _waived(state: StoryState, payload: Mapping[str, Any]) -> StoryState:
    finding_id = str(payload.get("finding_id"))
    known = state.findings.get(finding_id)
    if known is None or known["status"] == WAIVED:
        return state  # a second waiver (or one of a finding never found) changes nothing
    reason = payload.get("reason")
    waived = dict(known) | {"status": WAIVED, "reason": None if reason is None else str(reason)}
    memory = state.memory
    if memory is not None:
        memory = deepcopy(memory)
        waive(memory, finding_id)  # what the finding held contested is established now
    return replace(state, memory=memory, findings=dict(state.findings) | {finding_id: waived})


def evolve(state: StoryState, event_type: str, payload: Mapping[str, Any]) -> StoryState:
    """Apply one event of the memory stream (its version counts) or a waiver of the novel's
    stream (it does not). A payload the purge erased only counts: the tombstone that follows
    it ends the stream's projection."""
    if event_type == FINDING_WAIVED:
        return _waived(state, payload) if not state.purged else state
    state = replace(state, version=state.version + 1)
    if event_type == PURGED:
        return StoryState(version=state.version, purged=True)
    if state.purged or not payload:
        return state
    if event_type == SEEDED:
        return replace(state, memory=_seeded(state.memory, payload))
    if event_type == CHAPTER_CHECKED:
        return _checked(state, payload)
    return state


def fold_story(
    events: Iterable[tuple[str, Mapping[str, Any]]], waivers: Iterable[Mapping[str, Any]]
) -> StoryState:
    """The projection of a memory stream's events (oldest first) and the novel's waivers."""
    events = list(events)
    state = StoryState()
    if any(event_type == PURGED for event_type, _ in events):
        # Purged: the payloads before the tombstone are erased; only their count is left.
        return StoryState(version=len(events), purged=True)
    for event_type, payload in events:
        state = evolve(state, event_type, payload)
    for waiver in waivers:
        state = evolve(state, FINDING_WAIVED, waiver)
    return state
