"""The novel's chapter versions from its stream, pure (issue 39, as domain/history.py for a
session): every draft, revision, confirmation and rollback is a version of its chapter, with
its text, beats, the feedback it applied and its provenance; the same fold gives the chapters
right after each version, which is what a rollback goes back to."""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from infinite_scribe.domain.chapters import (
    CONFIRMED,
    DRAFT_PROPOSED,
    FEEDBACK_SUBMITTED,
    ROLLED_BACK,
    ChaptersVersion,
    NovelState,
    evolve,
)
from infinite_scribe.domain.history import LoggedEvent, provenance_of


@dataclass
class ChapterFold:
    """What the walk carries: the state, the feedback a revision answers, the versions."""

    state: NovelState
    feedback: dict[int, str] = field(default_factory=dict)
    versions: list[dict[str, Any]] = field(default_factory=list)
    targets: dict[UUID, ChaptersVersion] = field(default_factory=dict)


@dataclass(frozen=True)
class ChapterPage:
    """A page of the novel's chapter versions, newest first: each event with the feedback a
    revision answered and a rollback's chapter right after it; `next_before`: the next page's
    `before` (None: this page holds the first version)."""

    entries: list[tuple[LoggedEvent, str | None, Mapping[str, Any] | None]]
    next_before: int | None


def fold_chapters(novel_id: UUID, user_id: UUID, events: Iterable[LoggedEvent]) -> ChapterFold:
    """Walk the novel's stream (oldest first): its versions and the chapters after each."""
    walk = ChapterFold(NovelState(novel_id=novel_id, user_id=user_id))
    for event in events:
        walk.state = evolve(walk.state, event.event_type, event.payload)
        version = _version(walk, event)
        if version is None:
            continue
        walk.versions.append(version)
        walk.targets[event.event_id] = ChaptersVersion(
            event.event_id, version["chapter"], dict(walk.state.chapters)
        )
    return walk


def chapter_history(
    novel_id: UUID, user_id: UUID, events: Iterable[LoggedEvent]
) -> list[dict[str, Any]]:
    """Every chapter with versions, by number, each chapter's versions oldest first."""
    return by_chapter(fold_chapters(novel_id, user_id, events).versions)


def _version(walk: ChapterFold, event: LoggedEvent) -> dict[str, Any] | None:
    payload, event_type = event.payload, event.event_type
    chapter = payload.get("chapter")
    number = int(chapter) if isinstance(chapter, int) else 0
    if event_type == FEEDBACK_SUBMITTED:
        walk.feedback[number] = str(payload.get("feedback", ""))
        return None
    revised = event_type == DRAFT_PROPOSED and bool(payload.get("revision"))
    feedback = walk.feedback.pop(number, None) if revised else None
    restored = walk.state.chapters.get(str(chapter)) if chapter is not None else None
    return version_view(event, feedback, restored)


def version_view(
    event: LoggedEvent, feedback: str | None, restored: Mapping[str, Any] | None
) -> dict[str, Any] | None:
    """One version as the history shows it; `feedback`: what a revision answered, `restored`:
    a rollback's chapter right after it. None: the event is no version."""
    payload, event_type = event.payload, event.event_type
    base = {
        "event_id": str(event.event_id),
        "event_type": event_type,
        "at": event.created_at.isoformat(),
        "chapter": payload.get("chapter"),
        "feedback": None,
        "provenance": None,
    }
    if event_type == DRAFT_PROPOSED:
        revision = bool(payload.get("revision"))
        content = {"text": payload.get("text"), "beats": list(payload.get("beats") or [])}
        content["notes"] = list(payload.get("notes") or [])
        content["findings"] = list(payload.get("findings") or [])
        kind = "revised" if revision else "proposed"
        extra = {"feedback": feedback, "provenance": provenance_of(payload)}
        return base | {"kind": kind, "content": content} | extra
    if event_type == CONFIRMED:
        kind = "edited" if payload.get("edited") else "confirmed"
        return base | {"kind": kind, "content": {"text": payload.get("text")}}
    if event_type == ROLLED_BACK:
        content = dict(restored) if isinstance(restored, Mapping) else {}
        extra = {"target_event_id": payload.get("to_event_id")}
        return base | {"kind": "rolled_back", "content": content} | extra
    return None


def by_chapter(versions: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """Versions (oldest first) grouped by chapter number (0: a rollback naming none)."""
    grouped: dict[int, list[dict[str, Any]]] = {}
    for version in versions:
        grouped.setdefault(int(version["chapter"] or 0), []).append(version)
    return [{"chapter": n, "versions": grouped[n]} for n in sorted(grouped)]


def sets_chapter(event: LoggedEvent, number: int) -> bool:
    """Whether `event` sets chapter `number` whole (a draft of it, or a rollback that put it
    back or took its text away): the chapter right after any later event starts from it."""
    payload, key = event.payload, str(number)
    if event.event_type == DRAFT_PROPOSED:
        return payload.get("chapter") == number
    if event.event_type == ROLLED_BACK:
        removed = {str(n) for n in payload.get("removed") or ()}  # numbers, or their keys
        return key in (payload.get("chapters") or {}) or key in removed
    return False


def chapter_after(
    novel_id: UUID, user_id: UUID, number: int, since: Iterable[LoggedEvent]
) -> Mapping[str, Any] | None:
    """Chapter `number` right after the last of `since` (oldest first, starting with the event
    that set it whole, or with nothing when none did): its status, text and beats, or None
    when it had no text then. A chapter's rollback reads these few events, not the stream."""
    state = NovelState(novel_id=novel_id, user_id=user_id)
    for event in since:
        state = evolve(state, event.event_type, event.payload)
    return state.chapters.get(str(number))


def page_history(page: ChapterPage) -> list[dict[str, Any]]:
    """A page's versions by chapter, each chapter's oldest first (the history answer's shape)."""
    views = (version_view(event, feedback, restored) for event, feedback, restored in page.entries)
    return by_chapter(reversed([view for view in views if view is not None]))
