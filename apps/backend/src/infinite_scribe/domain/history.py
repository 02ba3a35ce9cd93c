"""A session's versions from its event log, pure (issue 37, docs/history.md).

The log of a session (and, for a branch, the log of its origin up to the branch point) is
folded once: every proposal, revision, confirmation, finish, rollback and branch becomes a
version of its stage, with its full content and the field-level changes against the stage's
previous version; the same fold gives the state right after each version, which is what a
rollback or a branch goes back to.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from uuid import UUID

from infinite_scribe.domain.diff import changes
from infinite_scribe.domain.genesis import (
    BRANCHED,
    FEEDBACK_SUBMITTED,
    FINISHED,
    PROPOSAL_EVENTS,
    ROLLED_BACK,
    SESSION_STARTS,
    STAGE_CONFIRMED,
    STAGE_ORDER,
    Decided,
    GenesisState,
    VersionTarget,
    evolve,
    restored_of,
    started,
    version_payload,
)
from infinite_scribe.domain.novel import bible_content, novel_bible
from shared_types.enums import GenesisStage

#: The provenance fields of a proposal (null where a provider or an older event has none).
PROVENANCE_FIELDS = (
    "provider",
    "model",
    "prompt_version",
    "inputs",
    "tokens_in",
    "tokens_out",
    "tokens_counted",
    "tokens_cached",
    "tokens_evaluated",
    "tokens_per_second",
    "latency_ms",
    "attempts",
    "replay_of",
)


@dataclass(frozen=True)
class LoggedEvent:
    """One event of a session's lineage as the history reads it."""

    event_id: UUID
    session_id: UUID
    event_type: str
    payload: Mapping[str, Any]
    created_at: datetime


@dataclass
class _Fold:
    """What the walk carries from one event to the next."""

    state: GenesisState | None = None
    confirmed_by: dict[str, str] = field(default_factory=dict)
    feedback: dict[str, str] = field(default_factory=dict)
    last: dict[str, Mapping[str, Any]] = field(default_factory=dict)
    content_of: dict[UUID, Mapping[str, Any]] = field(default_factory=dict)
    versions: list[tuple[GenesisStage, dict[str, Any]]] = field(default_factory=list)
    targets: dict[UUID, VersionTarget] = field(default_factory=dict)
    #: What the writer gave when the lineage began (a branch carries it on).
    initial: Mapping[str, Any] = field(default_factory=dict)


def fold(events: Iterable[LoggedEvent], *, with_changes: bool = True) -> _Fold:
    """Walk a lineage (oldest first): the versions and the state after each of them
    (`with_changes=False`: no diffs, for a rollback or a branch that only needs the state)."""
    walk = _Fold()
    for event in events:
        _advance(walk, event)
        found = _version(walk, event, with_changes)
        if found is None or walk.state is None:
            continue
        stage, version = found
        walk.versions.append((stage, version))
        walk.content_of[event.event_id] = version["content"]
        walk.targets[event.event_id] = VersionTarget(
            event.event_id, stage, walk.state, dict(walk.confirmed_by)
        )
    return walk


def session_history(events: Iterable[LoggedEvent]) -> list[dict[str, Any]]:
    """Every stage in Genesis order with its versions, oldest first (the history answer)."""
    walk = fold(events)
    stages: dict[GenesisStage, list[dict[str, Any]]] = {stage: [] for stage in STAGE_ORDER}
    for stage, version in walk.versions:
        stages[stage].append(version)
    return [{"stage": stage.value, "versions": versions} for stage, versions in stages.items()]


def branched(
    user_id: UUID,
    source_id: UUID,
    target: VersionTarget,
    title: str | None,
    initial_user_input: Mapping[str, Any],
    novel_id: UUID,
) -> list[Decided]:
    """A new session's first events: Branched with the state of `target` (the source's state
    right after that event), then Finished when that state is a finished one (its own novel)."""
    origin = {"session_id": str(source_id), "event_id": str(target.event_id)}
    if title:
        origin["title"] = title
    payload = version_payload(target.state, target) | {
        "user_id": str(user_id),
        "branched_from": origin,
        "initial_user_input": dict(initial_user_input),
    }
    events = [Decided(BRANCHED, payload, restored_of(target))]
    if target.state.current_stage is GenesisStage.FINISHED:
        events.append(Decided(FINISHED, {"novel_id": str(novel_id)}))
    return events


def _advance(walk: _Fold, event: LoggedEvent) -> None:
    payload = event.payload
    if event.event_type in SESSION_STARTS:
        walk.state = started(event.session_id, event.event_type, payload)
        walk.initial = dict(payload.get("initial_user_input") or {})
    elif walk.state is not None:
        walk.state = evolve(walk.state, event.event_type, payload)
    if event.event_type == STAGE_CONFIRMED:
        walk.confirmed_by[str(payload["stage"])] = str(event.event_id)
    elif event.event_type in (ROLLED_BACK, BRANCHED):
        walk.confirmed_by = {str(k): str(v) for k, v in (payload.get("confirmed_by") or {}).items()}
    elif event.event_type == FEEDBACK_SUBMITTED:
        walk.feedback[str(payload.get("stage"))] = str(payload.get("feedback", ""))


@dataclass
class _Seen:
    """What one event says as a version, before it is compared with the stage's last one."""

    stage_value: Any
    content: Any
    kind: str
    extra: dict[str, Any] = field(default_factory=dict)
    provenance: dict[str, Any] | None = None


def _version(
    walk: _Fold, event: LoggedEvent, with_changes: bool
) -> tuple[GenesisStage, dict[str, Any]] | None:
    """The version `event` is (None: it is none, a request or a trash move say)."""
    seen = _seen(walk, event)
    stage = None if seen is None else _stage(seen.stage_value)
    if seen is None or stage is None or not isinstance(seen.content, Mapping):
        return None
    content = seen.content
    version = {
        "event_id": str(event.event_id),
        "event_type": event.event_type,
        "kind": seen.kind,
        "at": event.created_at.isoformat(),
        "session_id": str(event.session_id),
        "content": dict(content),
        "changes": changes(walk.last.get(stage.value), content) if with_changes else [],
        "provenance": seen.provenance,
        **seen.extra,
    }
    walk.last[stage.value] = content
    return stage, version


def _seen(walk: _Fold, event: LoggedEvent) -> _Seen | None:
    payload, event_type = event.payload, event.event_type
    if event_type in PROPOSAL_EVENTS:
        return _proposed(walk, payload)
    if event_type == STAGE_CONFIRMED:
        return _confirmed(payload)
    if event_type == FINISHED and walk.state is not None:
        # Field by field, not `asdict`: that deep-copied the whole bible for each finish (140 ms
        # of the loop for a bible of large stages, issue 49); nothing here changes its parts.
        bible = novel_bible(walk.state.confirmed_data)
        content = bible_content(bible)
        content["novel_id"] = payload.get("novel_id")
        return _Seen(GenesisStage.FINISHED.value, content, "confirmed")
    if event_type in (ROLLED_BACK, BRANCHED):
        return _restored(walk, event)
    return None


def _proposed(walk: _Fold, payload: Mapping[str, Any]) -> _Seen:
    stage_value = payload.get("stage")
    seen = _Seen(stage_value, payload.get("result"), "proposed", provenance=provenance_of(payload))
    if payload.get("revision"):
        seen.kind = "revised"
        seen.extra["feedback"] = walk.feedback.pop(str(stage_value), None)
    return seen


def _confirmed(payload: Mapping[str, Any]) -> _Seen:
    confirmation = confirmation_of(payload)
    kind = "edited" if confirmation["how"] == "edited" else "confirmed"
    return _Seen(payload.get("stage"), payload.get("data"), kind, {"confirmation": confirmation})


def confirmation_of(payload: Mapping[str, Any]) -> dict[str, Any]:
    """How a StageConfirmed took its proposal: as proposed, one of its options, or edited."""
    how = payload.get("confirmation") or ("choice" if "choice" in payload else "edited")
    return {
        "how": how,
        "choice": payload.get("choice"),
        "edited": list(payload.get("edited") or []),
    }


def _restored(walk: _Fold, event: LoggedEvent) -> _Seen:
    """A rollback or a branch: the content of the version it restores (from the walk when the
    version was seen, else the restored proposal the event carries)."""
    payload = event.payload
    branched_from = payload.get("branched_from") or {}
    to_event = payload.get("to_event_id") or branched_from.get("event_id")
    known = walk.content_of.get(_uuid(to_event) or event.event_id)
    content = known if known is not None else (payload.get("last_result") or {})
    extra = {"target_event_id": to_event, "restored_stage": payload.get("stage")}
    if event.event_type == BRANCHED:
        return _Seen(
            payload.get("to_stage"),
            content,
            "branched",
            extra | {"branched_from": payload.get("branched_from")},
        )
    return _Seen(payload.get("to_stage"), content, "rolled_back", extra)


def provenance_of(payload: Mapping[str, Any]) -> dict[str, Any]:
    """A proposal's provenance, every field present (null where the event does not say)."""
    given = payload.get("provenance")
    known = dict(given) if isinstance(given, Mapping) else {"provider": payload.get("provider")}
    return {name: known.get(name) for name in PROVENANCE_FIELDS} | {
        "inputs": list(known.get("inputs") or [])
    }


def _stage(value: Any) -> GenesisStage | None:
    try:
        return GenesisStage(value)
    except ValueError:
        return None


def _uuid(value: Any) -> UUID | None:
    try:
        return UUID(str(value))
    except ValueError:
        return None
