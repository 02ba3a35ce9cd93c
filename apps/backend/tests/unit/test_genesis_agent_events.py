"""The agent side of the stage machine: proposals and failures fold into the session state."""

from dataclasses import replace
from uuid import uuid4

import pytest

from infinite_scribe.domain import genesis
from infinite_scribe.domain.commands import CommandIds, RequestConceptGeneration, SubmitFeedback
from infinite_scribe.domain.errors import InvalidState
from shared_types.enums import GenesisStage

IDS = CommandIds(command_id=uuid4(), novel_id=uuid4())


def _requested() -> genesis.GenesisState:
    state = genesis.GenesisState(session_id=uuid4(), user_id=uuid4(), version=1)
    (event,) = genesis.decide(state, RequestConceptGeneration(), IDS)
    return genesis.evolve(state, event.event_type, event.payload)


@pytest.mark.parametrize("failure", sorted(genesis.GENERATION_FAILED_EVENTS))
def test_a_failed_generation_clears_the_pending_flag_and_keeps_the_proposal(failure: str) -> None:
    state = replace(_requested(), last_result={"options": [1]})
    failed = genesis.evolve(state, failure, {"stage": "CONCEPT_SELECTION"})
    assert failed.pending_command_type is None
    assert failed.last_result == {"options": [1]}
    assert failed.version == state.version + 1
    # The writer may ask again at once.
    assert genesis.decide(failed, RequestConceptGeneration(), IDS)


def test_feedback_is_refused_while_nothing_was_ever_proposed_even_after_a_failure() -> None:
    failed = genesis.evolve(_requested(), genesis.CONCEPT_GENERATION_FAILED, {})
    with pytest.raises(InvalidState):
        genesis.decide(failed, SubmitFeedback(feedback="more"), IDS)


def test_event_names_per_stage() -> None:
    concept = GenesisStage.CONCEPT_SELECTION
    assert genesis.proposal_event_for(concept) == genesis.CONCEPT_PROPOSED
    assert genesis.failure_event_for(concept) == genesis.CONCEPT_GENERATION_FAILED
    for stage in (GenesisStage.WORLDVIEW, GenesisStage.PLOT_OUTLINE):
        assert genesis.proposal_event_for(stage) == genesis.STAGE_CONTENT_PROPOSED
        assert genesis.failure_event_for(stage) == genesis.STAGE_GENERATION_FAILED


def test_every_agent_event_name_passes_the_validator() -> None:
    from infinite_scribe.domain.event_names import validate_event_name

    for name in genesis.PROPOSAL_EVENTS | genesis.GENERATION_FAILED_EVENTS:
        validate_event_name(name)
