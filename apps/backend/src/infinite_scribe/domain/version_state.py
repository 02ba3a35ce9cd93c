"""The state right after one version, from a bounded read, pure (issue 54, decision 5402).

Every rollback (and branch) restores a whole state (its row beside the event, resolved by the
store: decision 5403), and after one, a session only moves forward through its stages: a stage
confirmed after it is not proposed again without another rollback. So the state right after
version `v` is its base (the last start or restore at or before `v`) with, for each stage, the
latest version of that stage between the base and `v` (a StageConfirmed adds its data and its
event to `confirmed_by`), and `v` itself applied last. The store reads those rows by index (at
most eight, and a restore's row), whatever the log's length; the full fold (`history.fold`) is
the reference this is tested against.
"""

from collections.abc import Mapping, Sequence
from dataclasses import replace
from uuid import UUID

from infinite_scribe.domain.codex_edits import codex_fields
from infinite_scribe.domain.genesis import (
    CREATED,
    FINISHED,
    PROPOSAL_EVENTS,
    STAGE_CONFIRMED,
    GenesisState,
    VersionTarget,
    evolve,
)
from infinite_scribe.domain.history import LoggedEvent
from infinite_scribe.domain.version_page import RESTORES, stage_of
from shared_types.enums import GenesisStage


def version_target(
    target: LoggedEvent,
    user_id: UUID,
    base: LoggedEvent,
    latest: Mapping[GenesisStage, LoggedEvent],
    finish: LoggedEvent | None,
    codex: Sequence[LoggedEvent] = (),
) -> VersionTarget | None:
    """The version `target` and the state right after it; `base`: the last start or restore
    at or before it, `latest`: each stage's latest version after the base up to `target`,
    `finish`: the session's latest finish up to `target` (its novel stays the session's),
    `codex`: the codex's changes after the base up to `target`, oldest first (issue 76).
    None: `target` is not a version (or its payload was purged)."""
    stage = stage_of(target)
    if stage is None or not target.payload or not base.payload:
        return None
    state, confirmed_by = _base_state(base, user_id)
    if target.event_type not in RESTORES:
        confirmed = dict(state.confirmed_data)
        for found in latest.values():
            if found.event_type == STAGE_CONFIRMED:
                confirmed[str(found.payload.get("stage"))] = found.payload.get("data", {})
                confirmed_by[str(found.payload.get("stage"))] = str(found.event_id)
        state = replace(state, confirmed_data=confirmed)
        for change in codex:  # its renames again: a stage confirmed since says the new names
            fields = codex_fields(change.payload, state.confirmed_data, state.last_result)
            state = replace(state, **fields)
        if target.event_type in PROPOSAL_EVENTS:
            state = replace(state, current_stage=stage)
        state = evolve(state, target.event_type, target.payload)
    if finish is not None and target.event_type != FINISHED:
        state = replace(state, novel_id=UUID(str(finish.payload["novel_id"])))
    return VersionTarget(target.event_id, stage, state, confirmed_by)


def _base_state(base: LoggedEvent, user_id: UUID) -> tuple[GenesisState, dict[str, str]]:
    blank = GenesisState(session_id=base.session_id, user_id=user_id)
    if base.event_type == CREATED:
        return replace(blank, version=1), {}
    given = base.payload.get("confirmed_by") or {}
    return evolve(blank, base.event_type, base.payload), {str(k): str(v) for k, v in given.items()}
