"""The novel's chapters as an event-sourced aggregate (issue 39, decision 3600), pure:
`decide(state, command) -> events`, `evolve(state, event)`.

The novel's stream (aggregate NOVEL, id = the novel's id) holds what happens to its chapters;
the `novels` row keeps the fold (`chapters`, `pending_chapter`, `stream_version`) as its
projection. The outline the chapters follow is the bible's (Genesis writes it), so it is part
of the state as read, not of the stream: a chapter is PLANNED until its first draft.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any
from uuid import UUID

from infinite_scribe.domain.chapter_commands import (
    ConfirmChapter,
    RequestChapterDraft,
    SubmitChapterFeedback,
    WaiveFinding,
)
from infinite_scribe.domain.commands import CancelGeneration, CommandPayload, RollbackToVersion
from infinite_scribe.domain.errors import (
    GenerationPending,
    InvalidChapter,
    InvalidState,
    InvalidVersion,
    NoDraft,
    NotFound,
    NothingToCancel,
)
from infinite_scribe.domain.guards import require_not_busy, require_version

AGGREGATE_TYPE = "NOVEL"
DRAFT_REQUESTED = "Novel.Chapter.DraftRequested"
FEEDBACK_SUBMITTED = "Novel.Chapter.FeedbackSubmitted"
#: Written by the agent worker: the chapter's draft (a revision carries `revision: true`).
DRAFT_PROPOSED = "Novel.Chapter.DraftProposed"
#: Written by the agent worker when a draft failed for good: the writer may ask again.
DRAFT_FAILED = "Novel.Chapter.DraftFailed"
#: The writer stopped the draft or revision being written (CancelGeneration, issue 77): the
#: pending generation is cleared, its task cancelled, and no draft lands.
DRAFT_CANCELLED = "Novel.Chapter.DraftCancelled"
CONFIRMED = "Novel.Chapter.Confirmed"
#: The chapters went back to one of their versions (the chapters that differ, whole).
ROLLED_BACK = "Novel.Chapters.RolledBack"
#: A novel-wide rollback's events each change their own chapter only (decision 5405).
PER_CHAPTER = "per_chapter"
#: The novel's tombstone when its Genesis session is purged: its chapters' payloads are then
#: erased (the append-only guard erases only aggregates with a `...Purged` event).
PURGED = "Novel.Chapters.Purged"
#: The writer marked a continuity finding as intentional (issue 48).
FINDING_WAIVED = "Novel.Finding.Waived"
#: The request events the agent answers.
CHAPTER_REQUEST_EVENTS = frozenset({DRAFT_REQUESTED, FEEDBACK_SUBMITTED})
#: What a draft holds until it is confirmed: its open notes (issue 55) and its continuity
#: findings (issue 78); a confirmed chapter's are the continuity check's.
_DRAFT_ONLY = ("notes", "findings")

PLANNED, DRAFTING, DRAFTED, CONFIRMED_STATUS = "PLANNED", "DRAFTING", "DRAFTED", "CONFIRMED"


@dataclass(frozen=True)
class NovelState:
    """The novel as its chapter commands see it (the `novels` row's projection columns, with
    the outline's chapters)."""

    novel_id: UUID
    user_id: UUID
    #: (number, title, summary) of every chapter of the outline last confirmed: a Genesis
    #: reopened by a rollback leaves the book writable against it until it finishes again.
    outline: tuple[tuple[int, str, str], ...] = ()
    #: str(number) -> {"status": DRAFTED | CONFIRMED, "text", "beats"} (and a draft's "notes"
    #: and "findings" when it has them): the chapters with text
    #: that this state's use case read (its own chapter; every chapter for a rollback or a
    #: replay), not necessarily all of them (decision 5401).
    chapters: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    #: The generation running: {"command_type", "chapter"} (None: none).
    pending: Mapping[str, Any] | None = None
    version: int = 0
    #: Its genesis session is in the trash (commands and streams refuse it until restored).
    trashed: bool = False

    @property
    def pending_command_type(self) -> str | None:
        return None if self.pending is None else str(self.pending["command_type"])

    @property
    def is_pending(self) -> bool:
        return self.pending is not None


@dataclass(frozen=True)
class Decided:
    event_type: str
    payload: dict[str, Any]


@dataclass(frozen=True)
class ChaptersVersion:
    """A version a rollback goes to: the chapters right after that event of the log."""

    event_id: UUID
    chapter: int | None
    chapters: Mapping[str, Mapping[str, Any]]


def chapter_views(state: NovelState, window: tuple[int, int] | None = None) -> list[dict[str, Any]]:
    """One entry per chapter of the outline, as `GET /novels/{id}` shows it; `window`: only
    the chapters numbered from `first` for `limit` of them (`(first, limit)`)."""
    pending_chapter = None if state.pending is None else state.pending.get("chapter")
    views = []
    for number, title, summary in state.outline:
        if window is not None and not window[0] <= number < window[0] + window[1]:
            continue
        stored = state.chapters.get(str(number)) or {}
        status = str(stored.get("status", PLANNED))
        if pending_chapter == number:
            status = DRAFTING
        views.append(
            {
                "number": number,
                "title": title,
                "summary": summary,
                "status": status,
                "text": stored.get("text"),
                "beats": list(stored.get("beats") or []),
                "notes": list(stored.get("notes") or []),
                "findings": list(stored.get("findings") or []),
            }
        )
    return views


def next_chapter(state: NovelState, window: tuple[int, int]) -> int | None:
    """The first outline chapter after `window` (None: the window reaches the outline's end)."""
    return next((n for n, _, _ in state.outline if n >= window[0] + window[1]), None)


def _require_chapter(state: NovelState, number: int) -> None:
    if not any(n == number for n, _, _ in state.outline):
        raise InvalidChapter(
            f"The outline has no chapter {number} (it has {len(state.outline)} chapters)"
        )


def _require_draft(state: NovelState, number: int) -> Mapping[str, Any]:
    stored = state.chapters.get(str(number))
    if not stored or not stored.get("text"):
        raise NoDraft(f"Chapter {number} has no draft yet; request one first")
    return stored


def decide(state: NovelState, command: CommandPayload) -> list[Decided]:
    """The events `command` causes, or InvalidState (409) / InvalidChapter (422)."""
    require_version(command, state.version, "novel")
    if isinstance(command, RollbackToVersion):
        return rolled_back(state, command.target, getattr(command, "scope", None))
    command_type = type(command).__name__
    match command:
        case RequestChapterDraft():
            _require_chapter(state, command.chapter)
            require_not_busy(state.pending_command_type, command_type)
            payload = {"chapter": command.chapter, "wishes": command.wishes}
            return [Decided(DRAFT_REQUESTED, payload)]
        case SubmitChapterFeedback():
            _require_chapter(state, command.chapter)
            _require_draft(state, command.chapter)
            require_not_busy(state.pending_command_type, command_type)
            payload = {"chapter": command.chapter, "feedback": command.feedback}
            return [Decided(FEEDBACK_SUBMITTED, payload)]
        case ConfirmChapter():
            _require_chapter(state, command.chapter)
            draft = _require_draft(state, command.chapter)
            edited = command.text is not None and command.text != draft.get("text")
            text = command.text if command.text is not None else draft.get("text")
            payload = {"chapter": command.chapter, "text": text, "edited": edited}
            return [Decided(CONFIRMED, payload)]
        case WaiveFinding():
            return [Decided(FINDING_WAIVED, _waived(command))]
        case CancelGeneration():
            return [_cancelled(state, command)]
    raise InvalidState(f"{command_type} is not a novel command")


def _cancelled(state: NovelState, command: CancelGeneration) -> Decided:
    """The draft being written stopped; the application's supersede part cancels its task."""
    if state.pending is None:
        raise NothingToCancel("No chapter is being written for this novel")
    payload = {"chapter": state.pending.get("chapter"), "command_type": state.pending_command_type}
    return Decided(DRAFT_CANCELLED, payload | {"reason": command.reason})


def _waived(command: WaiveFinding) -> dict[str, Any]:
    finding = command.finding
    if finding is None:
        raise NotFound("The novel has no such finding")
    if finding.get("status") != "open":
        raise InvalidState(f"The finding is {finding.get('status')}; only an open one is waived")
    return {
        "finding_id": str(command.finding_id),
        "kind": finding.get("kind"),
        "chapter": finding.get("chapter"),
        "reason": command.reason,
    }


def rolled_back(
    state: NovelState, target: ChaptersVersion | None, scope: str | None = None
) -> list[Decided]:
    """Back to the chapters as they were right after `target`'s event, as new events that
    carry the chapters that differ (whole; one event per chapter) and those that had no text
    then. A chapter's version restores that chapter only unless `scope` is "novel" (decision
    5600)."""
    if target is None:
        raise InvalidVersion("The event is not a version of this novel")
    if state.is_pending:
        raise GenerationPending(
            f"{state.pending_command_type} is still being processed; wait for its draft"
        )
    if scope is None:
        scope = "novel" if target.chapter is None else "chapter"
    if scope == "chapter" and target.chapter is None:
        raise InvalidVersion('That version names no chapter: roll back with scope "novel"')
    numbers = set(state.chapters) | set(target.chapters)
    if scope == "chapter":
        numbers &= {str(target.chapter)}
    changed = {
        number: dict(target.chapters[number])
        for number in numbers
        if number in target.chapters and state.chapters.get(number) != target.chapters[number]
    }
    removed = sorted(
        (n for n in numbers if n in state.chapters and n not in target.chapters), key=int
    )
    base = {"to_event_id": str(target.event_id), "chapter": target.chapter, "scope": scope}
    if scope == "chapter":
        return [Decided(ROLLED_BACK, base | {"chapters": changed, "removed": removed})]
    if not (changed or removed):  # recorded, and marked as touching no other chapter
        return [Decided(ROLLED_BACK, base | {"chapters": {}, "removed": [], PER_CHAPTER: True})]
    # Novel-wide: one event per chapter it changes, named by that chapter, so each is one
    # chapter's size whatever the book's (the whole book in one event met the event size
    # limit) and each chapter's versions are found by the chapter's index (decision 5405).
    each: list[tuple[str, dict[str, Any], list[str]]]
    each = [(n, {n: changed[n]}, []) for n in sorted(changed, key=int)]
    each += [(n, {}, [n]) for n in removed]
    return [
        Decided(
            ROLLED_BACK,
            base | {"chapter": int(n), "chapters": put, "removed": gone, PER_CHAPTER: True},
        )
        for n, put, gone in each
    ]


def evolve(state: NovelState, event_type: str, payload: Mapping[str, Any]) -> NovelState:
    """Apply one event; unknown event types only count (forward compatible)."""
    version = state.version + 1
    if event_type == DRAFT_REQUESTED:
        pending = {"command_type": "RequestChapterDraft", "chapter": payload["chapter"]}
        return replace(state, pending=pending, version=version)
    if event_type == FEEDBACK_SUBMITTED:
        pending = {"command_type": "SubmitChapterFeedback", "chapter": payload["chapter"]}
        return replace(state, pending=pending, version=version)
    if event_type == DRAFT_PROPOSED:
        drafted = {"status": DRAFTED, "text": payload["text"], "beats": list(payload["beats"])}
        if payload.get("notes"):  # what the draft does not write (issue 55), until confirmed
            drafted["notes"] = list(payload["notes"])
        if payload.get("findings"):  # where it contradicts the memory (issue 78), as notes
            drafted["findings"] = list(payload["findings"])
        return _with_chapter(state, payload["chapter"], drafted, version)
    if event_type in (DRAFT_FAILED, DRAFT_CANCELLED):
        return replace(state, pending=_cleared(state, payload["chapter"]), version=version)
    if event_type == CONFIRMED:
        stored = state.chapters.get(str(payload["chapter"])) or {}
        confirmed = {"status": CONFIRMED_STATUS, "text": payload["text"]}
        kept = {key: value for key, value in stored.items() if key not in _DRAFT_ONLY}
        return _with_chapter(state, payload["chapter"], {**kept, **confirmed}, version)
    if event_type == ROLLED_BACK:
        chapters = dict(state.chapters) | dict(payload.get("chapters") or {})
        for number in payload.get("removed") or ():
            chapters.pop(str(number), None)
        return replace(state, chapters=chapters, pending=None, version=version)
    return replace(state, version=version)


def _with_chapter(
    state: NovelState, number: int, chapter: Mapping[str, Any], version: int
) -> NovelState:
    chapters = dict(state.chapters) | {str(number): dict(chapter)}
    return replace(state, chapters=chapters, pending=_cleared(state, number), version=version)


def _cleared(state: NovelState, number: int) -> Mapping[str, Any] | None:
    """The pending generation once chapter `number` got an answer (or was confirmed): gone
    when it was that chapter's (a late draft of another chapter leaves it)."""
    if state.pending is not None and state.pending.get("chapter") == number:
        return None
    return state.pending


def replay(state: NovelState, events: Iterable[tuple[str, Mapping[str, Any]]]) -> NovelState:
    """Fold the novel's events (oldest first) onto its blank state (version 0)."""
    for event_type, payload in events:
        state = evolve(state, event_type, payload)
    return state
