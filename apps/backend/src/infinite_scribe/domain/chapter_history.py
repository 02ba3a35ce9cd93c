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
from infinite_scribe.domain.history import PROVENANCE_FIELDS, LoggedEvent


@dataclass
class ChapterFold:
    """What the walk carries: the state, the feedback a revision answers, the versions."""

    state: NovelState
    feedback: dict[int, str] = field(default_factory=dict)
    versions: list[dict[str, Any]] = field(default_factory=list)
    targets: dict[UUID, ChaptersVersion] = field(default_factory=dict)


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
    walk = fold_chapters(novel_id, user_id, events)
    by_chapter: dict[int, list[dict[str, Any]]] = {}
    for version in walk.versions:
        by_chapter.setdefault(int(version["chapter"] or 0), []).append(version)
    return [{"chapter": n, "versions": by_chapter[n]} for n in sorted(by_chapter)]


def _version(walk: ChapterFold, event: LoggedEvent) -> dict[str, Any] | None:
    payload, event_type = event.payload, event.event_type
    chapter = payload.get("chapter")
    number = int(chapter) if isinstance(chapter, int) else 0
    base = {
        "event_id": str(event.event_id),
        "event_type": event_type,
        "at": event.created_at.isoformat(),
        "chapter": chapter,
        "feedback": None,
        "provenance": None,
    }
    if event_type == FEEDBACK_SUBMITTED:
        walk.feedback[number] = str(payload.get("feedback", ""))
        return None
    if event_type == DRAFT_PROPOSED:
        revision = bool(payload.get("revision"))
        content = {"text": payload.get("text"), "beats": list(payload.get("beats") or [])}
        feedback = walk.feedback.pop(number, None) if revision else None
        kind = "revised" if revision else "proposed"
        extra = {"feedback": feedback, "provenance": _provenance(payload)}
        return base | {"kind": kind, "content": content} | extra
    if event_type == CONFIRMED:
        kind = "edited" if payload.get("edited") else "confirmed"
        return base | {"kind": kind, "content": {"text": payload.get("text")}}
    if event_type == ROLLED_BACK:
        restored = walk.state.chapters.get(str(chapter)) if chapter is not None else None
        content = dict(restored) if isinstance(restored, Mapping) else {}
        extra = {"target_event_id": payload.get("to_event_id")}
        return base | {"kind": "rolled_back", "content": content} | extra
    return None


def _provenance(payload: Mapping[str, Any]) -> dict[str, Any]:
    given = payload.get("provenance")
    known = dict(given) if isinstance(given, Mapping) else {"provider": payload.get("provider")}
    return {name: known.get(name) for name in PROVENANCE_FIELDS} | {
        "inputs": list(known.get("inputs") or [])
    }


def sets_chapter(event: LoggedEvent, number: int) -> bool:
    """Whether `event` sets chapter `number` whole (a draft of it, or a rollback that put it
    back or took its text away): the chapter right after any later event starts from it."""
    payload, key = event.payload, str(number)
    if event.event_type == DRAFT_PROPOSED:
        return payload.get("chapter") == number
    if event.event_type == ROLLED_BACK:
        return key in (payload.get("chapters") or {}) or number in (payload.get("removed") or ())
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
