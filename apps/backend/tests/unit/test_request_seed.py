"""What a model samples a generation by (decision 7603): a digest of what the writer asked and
where the session stood, recorded with the request so a replay draws the same."""

import uuid

from infinite_scribe.agents.llm.port import GenerationRequest
from infinite_scribe.agents.proposal_inputs import SEEDS, request_from, request_record, request_seed
from shared_types.enums import GenesisStage

CONCEPT, STORY = GenesisStage.CONCEPT_SELECTION, GenesisStage.STORY_CONCEPTION
IDEA = "Elias Thorne, a lighthouse keeper, finds a letter from next year."


def test_the_same_asks_draw_the_same_on_any_run_and_asking_again_draws_anew() -> None:
    first = request_seed(CONCEPT, IDEA, None, 2)
    assert first == request_seed(CONCEPT, IDEA, None, 2)  # no id in it: another run, the same
    others = {
        request_seed(CONCEPT, IDEA, None, 4),  # asked again: the session stands later
        request_seed(STORY, IDEA, None, 2),
        request_seed(CONCEPT, IDEA + " ", None, 2),
        request_seed(CONCEPT, IDEA, "make it darker", 2),
        request_seed(CONCEPT, IDEA, None, None),
    }
    assert first not in others and len(others) == 5
    assert all(0 <= seed < SEEDS for seed in (first, *others))


def test_the_seed_is_recorded_with_the_request_and_a_replay_reads_it_back() -> None:
    asked = GenerationRequest(session_id=uuid.uuid4(), stage=CONCEPT, user_input=IDEA, seed=77)
    record = request_record(asked)
    assert record["seed"] == 77 and request_from(record).seed == 77
    assert request_from({k: v for k, v in record.items() if k != "seed"}).seed is None
