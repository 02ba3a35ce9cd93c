"""The genesis stage machine without a database: every command in every stage and status."""

import itertools
from dataclasses import replace
from typing import Any
from uuid import uuid4

import pytest

from infinite_scribe.application.ports.writes import ProposalInput
from infinite_scribe.domain import genesis
from infinite_scribe.domain.commands import (
    PAYLOAD_MODELS,
    AbandonSession,
    CommandIds,
    CommandPayload,
    ConfirmStage,
    RegenerateProposal,
    RequestConceptGeneration,
    RequestStageGeneration,
    RollbackToVersion,
    SubmitFeedback,
)
from infinite_scribe.domain.errors import InvalidState
from infinite_scribe.domain.event_names import validate_event_name
from infinite_scribe.domain.novel import novel_bible
from shared_types.enums import GenesisStage, GenesisStatus

IDS = CommandIds(command_id=uuid4(), novel_id=uuid4())
STAGES = list(GenesisStage)
STATUSES = list(GenesisStatus)
PENDING = [None, "RequestConceptGeneration", "SubmitFeedback"]
RESULTS = [None, {"concepts": ["a"]}]


def command_for(command_type: str, stage: GenesisStage) -> CommandPayload:
    payloads: dict[str, dict[str, Any]] = {
        "RequestConceptGeneration": {},
        "RequestStageGeneration": {},
        "SubmitFeedback": {"feedback": "more dragons"},
        "ConfirmStage": {"stage": stage.value, "data": {"title": "T"}},
        "AbandonSession": {"reason": "bored"},
        "RollbackToVersion": {"event_id": str(TARGET.event_id)},
        "CancelGeneration": {"reason": "not this one"},
        "RegenerateProposal": {"event_id": str(uuid4()), "model": "offline"},
        "EditCodex": {"edits": [{"op": "add", "kind": "place", "name": "Leith"}]},
    }
    command = PAYLOAD_MODELS[command_type].model_validate(payloads[command_type])
    if isinstance(command, RegenerateProposal):  # a proposal of the current stage, recorded
        recorded = ProposalInput(command.event_id, uuid4(), {"stage": stage.value}, None)
        return command.resolved(recorded)
    return command.resolved(TARGET) if isinstance(command, RollbackToVersion) else command


#: What a rollback goes back to: the story stage with a proposal on the table.
TARGET = genesis.VersionTarget(
    event_id=uuid4(),
    version_stage=GenesisStage.STORY_CONCEPTION,
    state=genesis.GenesisState(
        session_id=uuid4(),
        user_id=uuid4(),
        current_stage=GenesisStage.STORY_CONCEPTION,
        confirmed_data={"CONCEPT_SELECTION": {"title": "Old"}},
        last_result={"premise": "p"},
    ),
    confirmed_by={"CONCEPT_SELECTION": str(uuid4())},
)


def allowed(
    command_type: str,
    stage: GenesisStage,
    status: GenesisStatus,
    pending: str | None,
    result: object,
) -> bool:
    """The command table of docs/command-api.md, written independently of the implementation."""
    if command_type == "RollbackToVersion":  # completed sessions reopen; never over a pending
        return status is not GenesisStatus.ABANDONED and pending is None
    if status is not GenesisStatus.IN_PROGRESS:
        return False
    busy = pending is not None and pending != command_type
    if command_type == "RequestConceptGeneration":
        return stage is GenesisStage.CONCEPT_SELECTION and not busy
    if command_type == "RequestStageGeneration":
        return stage.value in {"STORY_CONCEPTION", "WORLDVIEW", "CHARACTERS", "PLOT_OUTLINE"} and (
            not busy
        )
    if command_type == "SubmitFeedback":
        return result is not None and not busy
    if command_type == "ConfirmStage":
        return stage is not GenesisStage.FINISHED
    if command_type == "CancelGeneration":  # decision 4003: only a running generation
        return pending is not None
    if command_type == "RegenerateProposal":  # issue 55: a proposal of the stage, again
        return stage is not GenesisStage.FINISHED and not busy
    if command_type == "EditCodex":  # issue 76: whenever no generation is running
        return pending is None
    return True  # AbandonSession


CASES = list(itertools.product(PAYLOAD_MODELS, STAGES, STATUSES, PENDING, RESULTS))


@pytest.mark.parametrize(("command_type", "stage", "status", "pending", "result"), CASES)
def test_every_command_in_every_state(
    command_type: str,
    stage: GenesisStage,
    status: GenesisStatus,
    pending: str | None,
    result: dict[str, Any] | None,
) -> None:
    state = genesis.GenesisState(
        session_id=uuid4(),
        user_id=uuid4(),
        status=status,
        current_stage=stage,
        pending_command_type=pending,
        last_result=result,
        version=3,
        codex={"language": "en", "entries": [{"kind": "person", "name": "Ann", "role": "hero"}]},
    )
    command = command_for(command_type, stage)
    if not allowed(command_type, stage, status, pending, result):
        with pytest.raises(InvalidState):
            genesis.decide(state, command, IDS)
        return
    events = genesis.decide(state, command, IDS)
    assert events
    for event in events:
        validate_event_name(event.event_type)
    after = state
    for event in events:
        after = genesis.evolve(after, event.event_type, event.folded())
    assert after.version == state.version + len(events)
    if command.is_async:
        assert after.pending_command_type == command_type
        assert after.current_stage is stage
    elif command_type == "ConfirmStage":
        assert after.current_stage is genesis.next_stage(stage)
        assert after.confirmed_data[stage.value] == {"title": "T"}
        assert after.pending_command_type is None and after.last_result is None
    elif command_type == "RollbackToVersion":
        assert after.status is GenesisStatus.IN_PROGRESS
        assert after.current_stage is GenesisStage.STORY_CONCEPTION
        assert after.confirmed_data == {"CONCEPT_SELECTION": {"title": "Old"}}
        assert after.last_result == {"premise": "p"} and after.pending_command_type is None
        assert after.novel_id == state.novel_id
    elif command_type == "CancelGeneration":
        # Stopped: nothing pending, the stage, status and earlier proposal as they were.
        [event] = events
        assert event.payload["command_type"] == pending
        assert after.pending_command_type is None and after.last_result == state.last_result
        assert (after.status, after.current_stage) == (state.status, state.current_stage)
    elif command_type == "EditCodex":
        # The codex alone changes (a rename would rename its name everywhere).
        assert after.codex["entries"][-1]["name"] == "Leith"
        assert replace(after, codex=state.codex, version=state.version) == state
    else:
        assert after.status is GenesisStatus.ABANDONED


def test_confirm_of_another_stage_is_refused() -> None:
    state = genesis.GenesisState(session_id=uuid4(), user_id=uuid4(), version=1)
    with pytest.raises(InvalidState, match="current stage"):
        genesis.decide(state, ConfirmStage(stage=GenesisStage.WORLDVIEW), IDS)


def test_stage_generation_guard_must_name_the_current_stage() -> None:
    state = genesis.GenesisState(
        session_id=uuid4(), user_id=uuid4(), current_stage=GenesisStage.WORLDVIEW
    )
    command = RequestStageGeneration(stage=GenesisStage.CHARACTERS)
    with pytest.raises(InvalidState):
        genesis.decide(state, command, IDS)
    ok = genesis.decide(state, RequestStageGeneration(stage=GenesisStage.WORLDVIEW), IDS)
    assert ok[0].payload["stage"] == "WORLDVIEW"


def test_full_walk_finishes_with_a_novel() -> None:
    session_id, user_id = uuid4(), uuid4()
    events = [genesis.created(user_id, {"idea": "x"})]
    state = genesis.GenesisState(session_id=session_id, user_id=user_id, version=1)
    for stage in genesis.STAGE_ORDER[:-1]:
        data = {"title": "The Title"} if stage is GenesisStage.CONCEPT_SELECTION else {"n": 1}
        decided = genesis.decide(state, ConfirmStage(stage=stage, data=data), IDS)
        for event in decided:
            state = genesis.evolve(state, event.event_type, event.folded())
        events.extend(decided)
    assert state.status is GenesisStatus.COMPLETED
    assert state.current_stage is GenesisStage.FINISHED
    assert state.novel_id == IDS.novel_id
    assert [e.event_type for e in events[-2:]] == [genesis.STAGE_CONFIRMED, genesis.FINISHED]
    assert novel_bible(state.confirmed_data).title == "The Title"
    rebuilt = genesis.replay(session_id, ((e.event_type, e.payload) for e in events))
    assert rebuilt == state
    for command_type in PAYLOAD_MODELS:
        if command_type == "RollbackToVersion":
            continue  # a finished session reopens by a rollback (test_genesis_versions.py)
        with pytest.raises(InvalidState):
            genesis.decide(state, command_for(command_type, state.current_stage), IDS)


def test_a_proposal_clears_pending_and_allows_feedback() -> None:
    state = genesis.GenesisState(session_id=uuid4(), user_id=uuid4(), version=1)
    with pytest.raises(InvalidState, match="No proposal"):
        genesis.decide(state, SubmitFeedback(feedback="f"), IDS)
    (requested,) = genesis.decide(state, RequestConceptGeneration(), IDS)
    state = genesis.evolve(state, requested.event_type, requested.payload)
    assert state.is_pending
    for name in genesis.PROPOSAL_EVENTS:
        validate_event_name(name)
    state = genesis.evolve(state, genesis.CONCEPT_PROPOSED, {"result": {"concepts": [1, 2]}})
    assert not state.is_pending and state.last_result == {"concepts": [1, 2]}
    (feedback,) = genesis.decide(state, SubmitFeedback(feedback="f"), IDS)
    assert feedback.event_type == genesis.FEEDBACK_SUBMITTED
    other = genesis.evolve(state, genesis.STAGE_CONTENT_PROPOSED, {"content": "text"})
    assert other.last_result == {"content": "text"}


def test_unknown_events_only_bump_the_version() -> None:
    state = genesis.GenesisState(session_id=uuid4(), user_id=uuid4(), version=4)
    assert genesis.evolve(state, "Genesis.Session.Something.Updated", {}) == replace(
        state, version=5
    )


def test_replay_needs_created_first() -> None:
    assert genesis.replay(uuid4(), []) is None
    with pytest.raises(ValueError, match="does not start"):
        genesis.replay(uuid4(), [(genesis.ABANDONED, {})])


def test_finished_session_has_no_next_stage() -> None:
    with pytest.raises(InvalidState):
        genesis.next_stage(GenesisStage.FINISHED)


def test_abandon_is_refused_once_abandoned() -> None:
    state = genesis.GenesisState(
        session_id=uuid4(), user_id=uuid4(), status=GenesisStatus.ABANDONED
    )
    with pytest.raises(InvalidState):
        genesis.decide(state, AbandonSession(), IDS)


def test_a_late_proposal_for_a_confirmed_stage_is_ignored() -> None:
    state = genesis.GenesisState(
        session_id=uuid4(), user_id=uuid4(), current_stage=GenesisStage.WORLDVIEW, version=5
    )
    payload = {"stage": "CONCEPT_SELECTION", "result": {"concepts": []}}
    after = genesis.evolve(state, genesis.CONCEPT_PROPOSED, payload)
    assert after == replace(state, version=6)
