"""The bible's history (issue 29): every version of every stage the event log holds, oldest
first: what the agents proposed, each revision with the feedback that asked for it, and what the
writer confirmed, each with the fields that changed since the version before it. No writing
tool shows this; an event-sourced one only has to read its log."""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from infinite_scribe.domain.genesis import FEEDBACK_SUBMITTED, PROPOSAL_EVENTS, STAGE_CONFIRMED
from infinite_scribe.domain.proposals import PROPOSAL_META
from shared_types import GenesisStage

#: What a version's fields are compared without (where it came from, not what it says).
_ABOUT = frozenset({*PROPOSAL_META, "stage"})


@dataclass(frozen=True)
class Version:
    kind: str  # "proposed", "revised" or "confirmed"
    at: datetime
    #: Top-level fields that differ from the stage's previous version (all of them: the first).
    changed: list[str]
    feedback: str | None = None


@dataclass
class StageHistory:
    stage: GenesisStage
    versions: list[Version] = field(default_factory=list)


def bible_history(events: Iterable[Mapping[str, Any]]) -> list[StageHistory]:
    """The stages in Genesis order, each with its versions (stages without any are left out)."""
    stages = {stage: StageHistory(stage) for stage in GenesisStage if stage.value != "FINISHED"}
    last: dict[str, Mapping[str, Any]] = {}
    feedback: dict[str, str] = {}
    for event in events:
        payload = event["payload"] or {}
        stage = str(payload.get("stage", ""))
        if event["event_type"] == FEEDBACK_SUBMITTED:
            feedback[stage] = str(payload.get("feedback", ""))[:300]
            continue
        if event["event_type"] in PROPOSAL_EVENTS:
            kind, content = (
                ("revised" if payload.get("revision") else "proposed"),
                payload.get("result"),
            )
        elif event["event_type"] == STAGE_CONFIRMED:
            kind, content = "confirmed", payload.get("data")
        else:
            continue
        history = next((h for s, h in stages.items() if s.value == stage), None)
        if history is None or not isinstance(content, Mapping):
            continue
        asked = feedback.pop(stage, None) if kind == "revised" else None
        history.versions.append(
            Version(kind, event["created_at"], _changed(last.get(stage), content), asked)
        )
        last[stage] = content
    return [history for history in stages.values() if history.versions]


def _changed(before: Mapping[str, Any] | None, after: Mapping[str, Any]) -> list[str]:
    keys = [key for key in after if key not in _ABOUT]
    if before is None:
        return keys
    return [key for key in keys if after.get(key) != before.get(key)]
