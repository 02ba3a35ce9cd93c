"""One page of a session's history, pure (issue 54, decision 5402).

The store hands over the page's version events (newest first, from the log's own index of
versions), each with what its content needs that its payload lacks: the feedback a revision
answers (the event that caused it), the bible of the novel a finish created, the event a
rollback or branch went back to. Each becomes the version the full fold in `history.py` makes
of it, with its changes against the stage's previous version (the next older one of the page,
or the one the store found before the page), so a page costs the same at version 10 and
100,000 and no history is ever too large to read.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from infinite_scribe.domain.diff import changes
from infinite_scribe.domain.genesis import (
    BRANCHED,
    FINISHED,
    PROPOSAL_EVENTS,
    ROLLED_BACK,
    STAGE_CONFIRMED,
)
from infinite_scribe.domain.history import LoggedEvent, confirmation_of, provenance_of
from infinite_scribe.domain.novel import bible_content, novel_bible
from shared_types.enums import GenesisStage

RESTORES = frozenset({ROLLED_BACK, BRANCHED})
#: The events that are versions of a stage (the store's index holds these).
VERSION_EVENTS = PROPOSAL_EVENTS | RESTORES | {STAGE_CONFIRMED, FINISHED}


@dataclass(frozen=True)
class VersionEvent:
    """A version event of a lineage, with what its content needs besides its payload."""

    event: LoggedEvent
    #: Its aggregate version in its own session (the page's keyset).
    seq: int
    #: A revision: the feedback of the event that caused it.
    feedback: str | None = None
    #: A finish: the bible of the novel it created (None: the novel is gone).
    bible: Mapping[str, Any] | None = None
    #: A rollback or a branch: the version it went back to, when the log still holds it.
    target: "VersionEvent | None" = None
    #: A rollback or a branch: the restored stage's content from its restore's row, every
    #: stage's when it restored a finish (None: a restore written before decision 5403, whose
    #: event carries its state).
    restored: Mapping[str, Any] | None = None


def stage_of(event: LoggedEvent) -> GenesisStage | None:
    """The stage a version event belongs to (None: not a version of any stage)."""
    payload = event.payload
    if event.event_type not in VERSION_EVENTS:
        return None
    if event.event_type == FINISHED:
        value: Any = GenesisStage.FINISHED.value
    elif event.event_type in RESTORES:
        value = payload.get("to_stage")
    else:
        value = payload.get("stage")
    try:
        return GenesisStage(value)
    except ValueError:
        return None


def content_of(version: VersionEvent) -> Mapping[str, Any] | None:
    """What the writer saw at this version (None: its payload was purged or says nothing)."""
    event_type, payload = version.event.event_type, version.event.payload
    if event_type in PROPOSAL_EVENTS:
        found = payload.get("result")
    elif event_type == STAGE_CONFIRMED:
        found = payload.get("data")
    elif event_type == FINISHED:
        found = dict(version.bible or {}) | {"novel_id": payload.get("novel_id")}
    elif event_type in RESTORES:
        found = _restored(version)
    else:
        found = None
    return found if isinstance(found, Mapping) else None


def _restored(version: VersionEvent) -> Any:
    """A rollback's or branch's content: its target's (one level: a target that is itself a
    restore, or one whose payload was purged, is read from the state this event restored)."""
    target = version.target
    # A target whose payload was purged (its session's) says nothing, whatever its type.
    usable = target is not None and target.event.payload and target.event.event_type not in RESTORES
    found = content_of(target) if target is not None and usable else None
    if found is not None:
        return found
    restored = version.restored
    if restored is not None and stage_of(version.event) is GenesisStage.FINISHED:
        bible = novel_bible(restored)  # a finish's content is the bible of every stage
        return bible_content(bible)
    if restored is not None:
        return restored
    payload = version.event.payload
    to_stage, last = payload.get("to_stage"), payload.get("last_result")
    if payload.get("stage") == to_stage and isinstance(last, Mapping):
        return last  # the restored version is a proposal, still the stage's last result
    return (payload.get("confirmed_data") or {}).get(to_stage) or last


def render(
    page: Sequence[VersionEvent], before_page: Mapping[GenesisStage, VersionEvent]
) -> list[tuple[GenesisStage, dict[str, Any]]]:
    """The page's versions, newest first, each with its changes against the stage's previous
    version: the next older one on the page, else `before_page[stage]`."""
    older: dict[GenesisStage, Mapping[str, Any] | None] = {
        stage: content_of(version) for stage, version in before_page.items()
    }
    rendered: list[tuple[GenesisStage, dict[str, Any]]] = []
    for version in reversed(page):  # oldest first: each compares with the one before it
        stage, content = stage_of(version.event), content_of(version)
        if stage is None or content is None:
            continue
        rendered.append((stage, _version(version, content, older.get(stage))))
        older[stage] = content
    rendered.reverse()
    return rendered


def _version(
    version: VersionEvent, content: Mapping[str, Any], previous: Mapping[str, Any] | None
) -> dict[str, Any]:
    event = version.event
    payload = event.payload
    rendered: dict[str, Any] = {
        "event_id": str(event.event_id),
        "event_type": event.event_type,
        "kind": _kind(event),
        "at": event.created_at.isoformat(),
        "session_id": str(event.session_id),
        "content": dict(content),
        "changes": changes(previous, content),
        "provenance": provenance_of(payload) if event.event_type in PROPOSAL_EVENTS else None,
    }
    if rendered["kind"] == "revised":
        rendered["feedback"] = version.feedback
    elif event.event_type == STAGE_CONFIRMED:
        rendered["confirmation"] = confirmation_of(payload)
    elif event.event_type in RESTORES:
        origin = payload.get("branched_from") or {}
        rendered["target_event_id"] = payload.get("to_event_id") or origin.get("event_id")
        rendered["restored_stage"] = payload.get("stage")
        if event.event_type == BRANCHED:
            rendered["branched_from"] = payload.get("branched_from")
    return rendered


def _kind(event: LoggedEvent) -> str:
    if event.event_type in PROPOSAL_EVENTS:
        return "revised" if event.payload.get("revision") else "proposed"
    if event.event_type == STAGE_CONFIRMED:
        return "edited" if confirmation_of(event.payload)["how"] == "edited" else "confirmed"
    if event.event_type == FINISHED:
        return "confirmed"
    return "branched" if event.event_type == BRANCHED else "rolled_back"


_MAX_CURSOR_DEPTH = 1_000_000
#: The largest aggregate version (an int4 column).
_MAX_SEQ = 2**31 - 1


@dataclass(frozen=True)
class PageCursor:
    """Where a page starts: versions older than `seq` in the lineage's `depth`-th session (0:
    the session itself, 1: its origin, ...)."""

    depth: int = 0
    seq: int = _MAX_SEQ

    @classmethod
    def parse(cls, text: str | None) -> "PageCursor":
        """`"<depth>.<seq>"` as `VersionPage.next_before` gave it (ValueError: not one)."""
        if text is None:
            return cls()
        depth, _, seq = text.partition(".")
        if not (f"{depth}{seq}".isascii() and depth.isdigit() and seq.isdigit()):
            raise ValueError("not a history cursor")
        cursor = cls(int(depth), int(seq))
        if cursor.depth > _MAX_CURSOR_DEPTH or cursor.seq > _MAX_SEQ:
            raise ValueError("not a history cursor")
        return cursor

    def __str__(self) -> str:
        return f"{self.depth}.{self.seq}"


@dataclass(frozen=True)
class VersionPage:
    """What the store read for one page: its versions newest first, the previous version of
    each stage the page shows (older than the page), and where the next page starts."""

    versions: list[VersionEvent]
    before_page: dict[GenesisStage, VersionEvent]
    next_before: PageCursor | None
