"""Rollback, branches and the history fold without a database (domain/genesis.py evolve and
decide, domain/history.py)."""

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any
from uuid import UUID, uuid4

import pytest

from infinite_scribe.domain import genesis
from infinite_scribe.domain.commands import (
    CommandIds,
    ConfirmStage,
    RollbackToVersion,
    SubmitFeedback,
)
from infinite_scribe.domain.errors import GenerationPending, InvalidVersion, VersionConflict
from infinite_scribe.domain.history import LoggedEvent, branched, fold, session_history
from shared_types.enums import GenesisStage, GenesisStatus

USER, SESSION = uuid4(), uuid4()
IDS = CommandIds(command_id=uuid4(), novel_id=uuid4())
CONCEPTS = {"concepts": [{"title": "A", "logline": "a", "themes": ["t"]}] * 2}
STORY = {"premise": "p", "synopsis": "s", "conflicts": ["c"], "source": "offline_draft"}


class Log:
    """A session's log built as the application would: decide, evolve, record."""

    def __init__(self) -> None:
        first = genesis.created(USER, {"idea": "sea"})
        self.events: list[LoggedEvent] = []
        self.state = genesis.started(SESSION, first.event_type, first.payload)
        self._record(first.event_type, first.payload)

    def _record(self, event_type: str, payload: Mapping[str, Any]) -> UUID:
        event_id = uuid4()
        self.events.append(LoggedEvent(event_id, SESSION, event_type, payload, datetime.now(UTC)))
        return event_id

    def apply(self, event_type: str, payload: Mapping[str, Any]) -> UUID:
        self.state = genesis.evolve(self.state, event_type, payload)
        return self._record(event_type, payload)

    def command(self, command: Any) -> list[UUID]:
        decided = genesis.decide(self.state, command, IDS)
        # Logged as the store's readers return it: a restore with its row's state.
        return [self.apply(d.event_type, d.folded()) for d in decided]

    def propose(self, stage: GenesisStage, result: Mapping[str, Any]) -> UUID:
        event = genesis.proposal_event_for(stage)
        return self.apply(event, {"stage": stage.value, "result": dict(result), "provider": "x"})


def walked() -> tuple[Log, dict[str, UUID]]:
    log = Log()
    ids = {"concepts": log.propose(GenesisStage.CONCEPT_SELECTION, CONCEPTS)}
    [ids["concept_confirmed"]] = log.command(
        ConfirmStage(stage=GenesisStage.CONCEPT_SELECTION, choice=1)
    )
    ids["story"] = log.propose(GenesisStage.STORY_CONCEPTION, STORY)
    return log, ids


def test_a_rollback_restores_the_state_after_the_version_and_replays_the_same() -> None:
    log, ids = walked()
    target = fold(log.events).targets[ids["concepts"]]
    assert target.state.current_stage is GenesisStage.CONCEPT_SELECTION
    log.command(RollbackToVersion(event_id=ids["concepts"]).resolved(target))
    assert log.state.current_stage is GenesisStage.CONCEPT_SELECTION
    assert log.state.confirmed_data == {} and log.state.last_result == CONCEPTS
    rebuilt = genesis.replay(SESSION, ((e.event_type, e.payload) for e in log.events))
    assert rebuilt == log.state


def test_a_rollback_past_finished_reopens_and_keeps_the_novel() -> None:
    log, _ = walked()
    stages = [GenesisStage.STORY_CONCEPTION, *genesis.STAGE_ORDER[2:5]]
    for stage in stages:
        log.command(ConfirmStage(stage=stage, data={"title": stage.value}))
    assert log.state.status is GenesisStatus.COMPLETED
    novel_id = log.state.novel_id
    walk = fold(log.events)
    world = next(e for e in log.events if e.payload.get("stage") == "WORLDVIEW")
    log.command(RollbackToVersion(event_id=world.event_id).resolved(walk.targets[world.event_id]))
    assert log.state.status is GenesisStatus.IN_PROGRESS and log.state.novel_id == novel_id
    assert log.state.current_stage is GenesisStage.CHARACTERS
    # Back to the last confirmation: it finishes again at once, the same novel.
    final = [e for e in log.events if e.event_type == genesis.STAGE_CONFIRMED][-1]
    log.command(RollbackToVersion(event_id=final.event_id).resolved(walk.targets[final.event_id]))
    assert log.state.status is GenesisStatus.COMPLETED and log.state.novel_id == novel_id
    finishes = [
        v for s in session_history(log.events) if s["stage"] == "FINISHED" for v in s["versions"]
    ]
    assert len(finishes) == 2 and finishes[1]["changes"] == []


def test_refusals() -> None:
    log, ids = walked()
    target = fold(log.events).targets[ids["concepts"]]
    with pytest.raises(InvalidVersion):
        genesis.decide(log.state, RollbackToVersion(event_id=uuid4()), IDS)
    stale = RollbackToVersion(event_id=ids["concepts"], expected_version=1).resolved(target)
    with pytest.raises(VersionConflict):
        genesis.decide(log.state, stale, IDS)
    log.command(SubmitFeedback(feedback="again"))
    with pytest.raises(GenerationPending):
        genesis.decide(log.state, RollbackToVersion(event_id=uuid4()).resolved(target), IDS)


def test_a_branch_starts_with_the_version_state_and_its_origin() -> None:
    log, ids = walked()
    walk = fold(log.events)
    decided = branched(USER, SESSION, walk.targets[ids["story"]], "B", walk.initial, uuid4())
    branch_id = uuid4()
    pairs = [(d.event_type, d.folded()) for d in decided]
    state = genesis.replay(branch_id, pairs)
    assert state is not None and state.version == 1 and state.session_id == branch_id
    assert state.current_stage is GenesisStage.STORY_CONCEPTION and state.last_result == STORY
    assert state.confirmed_data == log.state.confirmed_data
    assert state.branched_from == {
        "session_id": str(SESSION),
        "event_id": str(ids["story"]),
        "title": "B",
    }
    assert decided[0].payload["initial_user_input"] == {"idea": "sea"}
    assert decided[0].payload["confirmed_by"] == {
        "CONCEPT_SELECTION": str(ids["concept_confirmed"])
    }


def test_a_restore_names_its_version_and_its_state_goes_beside_it() -> None:
    """Decision 5403: the event stays small whatever the state's size; a fold that was not
    given the state refuses instead of silently losing every stage."""
    log, _ = walked()
    big = {"premise": "p" * 2_000_000}
    log.apply(genesis.STAGE_CONTENT_PROPOSED, {"stage": "STORY_CONCEPTION", "result": big})
    big_version = log.events[-1].event_id
    log.command(ConfirmStage(stage=GenesisStage.STORY_CONCEPTION, data={"premise": "q"}))
    target = fold(log.events).targets[big_version]
    [decided] = genesis.decide(
        log.state, RollbackToVersion(event_id=big_version).resolved(target), IDS
    )
    assert decided.restored is not None and decided.restored.last_result == big
    assert "confirmed_data" not in decided.payload and "last_result" not in decided.payload
    assert len(str(decided.payload)) < 1_000
    assert decided.payload["to_event_id"] == str(big_version)
    with pytest.raises(genesis.UnresolvedRestore):
        genesis.evolve(log.state, decided.event_type, decided.payload)
    state = genesis.evolve(log.state, decided.event_type, decided.folded())
    assert state.last_result == big and state.confirmed_data == target.state.confirmed_data
    assert state.current_stage is GenesisStage.STORY_CONCEPTION


def test_the_history_fold_kinds_and_how_a_confirmation_took_the_proposal() -> None:
    log, _ = walked()
    log.command(ConfirmStage(stage=GenesisStage.STORY_CONCEPTION, choice=0, data={"premise": "q"}))
    stages = {s["stage"]: s["versions"] for s in session_history(log.events)}
    assert [v["kind"] for v in stages["CONCEPT_SELECTION"]] == ["proposed", "confirmed"]
    assert stages["CONCEPT_SELECTION"][1]["confirmation"]["how"] == "choice"
    story = stages["STORY_CONCEPTION"]
    assert [v["kind"] for v in story] == ["proposed", "edited"]
    assert story[1]["confirmation"] == {"how": "edited", "choice": 0, "edited": ["premise"]}
    assert story[1]["changes"] == [{"path": "premise", "before": "p", "after": "q"}]
    assert story[0]["provenance"]["provider"] == "x" and story[0]["provenance"]["inputs"] == []
