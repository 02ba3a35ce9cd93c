"""The trash's pure part: decide trash/restore/purge, fold their events, payload contracts,
and the projection fold (`project`/`compare`) that `scribe projections rebuild` uses."""

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from uuid import uuid4

import pytest

from infinite_scribe.application.projections import ROW, columns, compare, project
from infinite_scribe.domain.errors import SessionNotTrashed
from infinite_scribe.domain.event_names import validate_event_name
from infinite_scribe.domain.genesis import CREATED, GenesisState, replay
from infinite_scribe.domain.trash import (
    PURGED,
    PURGED_BY_USER,
    RESTORED,
    TRASH_EVENTS,
    TRASHED,
    TrashState,
    decide_purge,
    decide_restore,
    decide_trash,
    fold_trash,
)
from shared_types import DomainEventRow
from shared_types.enums import GenesisStage
from shared_types.event_payloads import EVENT_PAYLOADS

NOW = datetime(2026, 11, 21, 12, 0, 0, 123456, tzinfo=UTC)
STATE = GenesisState(
    session_id=uuid4(),
    user_id=uuid4(),
    current_stage=GenesisStage.WORLDVIEW,
    pending_command_type="RequestStageGeneration",
    version=7,
)


def test_trash_then_restore_round_trips_and_repeats_are_no_ops() -> None:
    [trashed] = decide_trash(STATE, TrashState(), NOW)
    assert trashed.event_type == TRASHED
    state = fold_trash([(trashed.event_type, trashed.payload)])
    assert state.trashed_at == NOW and state.trashed and not state.purged
    assert decide_trash(STATE, state, NOW + timedelta(days=1)) == []  # trash twice: nothing
    [restored] = decide_restore(state)
    back = fold_trash([(TRASHED, trashed.payload), (RESTORED, restored.payload)])
    assert back == TrashState()
    assert decide_restore(back) == []  # restore twice: nothing


def test_purge_only_from_the_trash() -> None:
    with pytest.raises(SessionNotTrashed) as refused:
        decide_purge(STATE, TrashState(), PURGED_BY_USER)
    assert refused.value.error_code == "SESSION_NOT_TRASHED"
    [purged] = decide_purge(STATE, TrashState(trashed_at=NOW), PURGED_BY_USER)
    assert purged.payload["erased_through_version"] == STATE.version
    assert fold_trash([(TRASHED, {"trashed_at": NOW.isoformat()}), (PURGED, purged.payload)]) == (
        TrashState(trashed_at=NOW, purged=True)
    )


def test_trash_events_follow_the_naming_rule_and_match_their_registered_models() -> None:
    emitted = [
        *decide_trash(STATE, TrashState(), NOW),
        *decide_restore(TrashState(trashed_at=NOW)),
        *decide_purge(STATE, TrashState(trashed_at=NOW), PURGED_BY_USER),
    ]
    assert {event.event_type for event in emitted} == TRASH_EVENTS
    for event in emitted:
        validate_event_name(event.event_type)
        model = EVENT_PAYLOADS[(event.event_type, 1)]
        parsed = model.model_validate(event.payload)
        assert not parsed.model_extra, f"{event.event_type} emits undeclared fields"
        assert set(event.payload) == set(type(parsed).model_fields)


def _rows(session_id: object, pairs: list[tuple[str, dict[str, object]]]) -> list[DomainEventRow]:
    return [
        DomainEventRow(
            id=number,
            event_id=uuid4(),
            event_type=event_type,
            event_version=1,
            aggregate_type="GENESIS_SESSION",
            aggregate_id=str(session_id),
            aggregate_version=number,
            payload=payload,
            metadata={},
            created_at=NOW + timedelta(seconds=number),
            archived=False,
        )
        for number, (event_type, payload) in enumerate(pairs, start=1)
    ]


def test_project_folds_the_stage_machine_and_the_trash() -> None:
    session_id, user_id = uuid4(), uuid4()
    pairs: list[tuple[str, dict[str, object]]] = [
        (CREATED, {"user_id": str(user_id)}),
        ("Genesis.Session.ConceptGenerationRequested", {"stage": "CONCEPT_SELECTION"}),
        (TRASHED, {"trashed_at": NOW.isoformat(), "status": "IN_PROGRESS", "stage": "X"}),
    ]
    expected = project(session_id, _rows(session_id, pairs))
    assert expected is not None
    assert expected.trashed_at == NOW and expected.created_at == NOW + timedelta(seconds=1)
    assert expected.state == replace(replay(session_id, pairs), version=3)  # type: ignore[arg-type]
    assert expected.state.pending_command_type == "RequestConceptGeneration"
    stored = columns(expected)
    assert compare(stored, expected) == {}
    assert compare(stored | {"version": 2}, expected) == {"version": (2, 3)}
    assert compare(None, expected) == {ROW: ("missing", "present")}
    purged = [*pairs, (PURGED, {"reason": "user", "trashed_at": NOW.isoformat()})]
    assert project(session_id, _rows(session_id, purged)) is None
    assert compare(stored, None) == {ROW: ("present", "absent")}
    assert compare(None, None) == {}
    assert project(session_id, []) is None
