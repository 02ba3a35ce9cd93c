"""The offline generator: deterministic, valid for every stage, built from the request."""

from dataclasses import replace
from uuid import uuid4

import pytest

from infinite_scribe.agents.llm.factory import build_provider
from infinite_scribe.agents.llm.offline import OfflineGenerator
from infinite_scribe.agents.llm.offline.words import CHINESE, ENGLISH
from infinite_scribe.agents.llm.port import GenerationRequest
from infinite_scribe.domain.proposals import (
    PROPOSAL_MODELS,
    CharactersProposal,
    ConceptProposal,
    PlotOutlineProposal,
    ProposalSource,
    StoryProposal,
)
from infinite_scribe.settings.settings import load_settings
from shared_types.enums import GenesisStage

SESSION = uuid4()
CONFIRMED = {
    "CONCEPT_SELECTION": {"title": "星潮", "logline": "A tide of stars returns every century."},
    "CHARACTERS": {"characters": [{"name": "林舟", "role": "protagonist"}]},
}
generator = OfflineGenerator()


def request(stage: GenesisStage, **kw: object) -> GenerationRequest:
    return GenerationRequest(session_id=SESSION, stage=stage, **kw)  # type: ignore[arg-type]


@pytest.mark.parametrize("stage", list(PROPOSAL_MODELS))
async def test_every_stage_gives_a_valid_offline_draft(stage: GenesisStage) -> None:
    proposal = await generator.generate(request(stage))
    assert type(proposal) is PROPOSAL_MODELS[stage]
    assert proposal.source is ProposalSource.OFFLINE_DRAFT and proposal.note == ENGLISH.note
    # What the worker stores (the event's `result`) validates again as the same model.
    assert PROPOSAL_MODELS[stage].model_validate(proposal.model_dump(mode="json")) == proposal


@pytest.mark.parametrize("stage", list(PROPOSAL_MODELS))
async def test_the_same_request_gives_the_same_proposal(stage: GenesisStage) -> None:
    first = await generator.generate(request(stage, confirmed_data=CONFIRMED))
    again = await OfflineGenerator().generate(request(stage, confirmed_data=CONFIRMED))
    assert first == again


async def test_feedback_changes_the_draft_and_is_acknowledged() -> None:
    plain = await generator.generate(request(GenesisStage.CONCEPT_SELECTION))
    revised = await generator.generate(
        request(GenesisStage.CONCEPT_SELECTION, feedback="更黑暗一些", previous_proposal={})
    )
    meta = {"note", "revision_note", "feedback_applied"}
    assert revised.model_dump(exclude=meta) != plain.model_dump(exclude=meta)
    # What changed is said beside the draft (issue 38), never in the writer's text.
    assert revised.note == CHINESE.note and revised.revision_note is not None
    assert "阴郁" in revised.revision_note and revised.feedback_applied == ["更黑暗一些"]


async def test_concepts_use_themes_styles_and_idea() -> None:
    proposal = await generator.generate(
        request(
            GenesisStage.CONCEPT_SELECTION,
            user_input="一座会遗忘的城市",
            theme_preferences=("科幻", "悬疑"),
            style_preferences=("快节奏", "第一人称"),
        )
    )
    assert isinstance(proposal, ConceptProposal) and 2 <= len(proposal.concepts) <= 5
    for concept in proposal.concepts:
        assert concept.themes[:2] == ["科幻", "悬疑"]
        assert concept.tone == "快节奏、第一人称"
        # The idea's place is the story's place (issue 38: built from it, not pasted in).
        assert "会遗忘的城市" in concept.logline and "一座会遗忘的城市" not in concept.logline
    assert {c.genre for c in proposal.concepts} <= {"科幻", "悬疑"}
    assert len({c.logline for c in proposal.concepts}) == 3


async def test_later_stages_build_on_confirmed_data() -> None:
    story = await generator.generate(
        request(GenesisStage.STORY_CONCEPTION, confirmed_data=CONFIRMED)
    )
    assert isinstance(story, StoryProposal)
    assert story.title == "星潮" and story.premise == CONFIRMED["CONCEPT_SELECTION"]["logline"]
    cast = await generator.generate(request(GenesisStage.CHARACTERS, confirmed_data=CONFIRMED))
    assert isinstance(cast, CharactersProposal) and cast.characters[0].name == "林舟"
    plot = await generator.generate(request(GenesisStage.PLOT_OUTLINE, confirmed_data=CONFIRMED))
    assert isinstance(plot, PlotOutlineProposal)
    assert "林舟" in plot.acts[0].chapters[0].summary  # the confirmed protagonist's name


def test_offline_is_the_default_provider() -> None:
    assert build_provider(load_settings()).name == "offline"


async def test_a_darker_revision_says_so_in_its_tone_and_its_note() -> None:
    """Issue 29: feedback is applied, not only acknowledged; issue 38: the revision says so
    in `revision_note`, and the loglines stay the writer's story (no "Revised toward ...")."""
    asked = request(GenesisStage.CONCEPT_SELECTION, user_input="a lighthouse keeper's last winter")
    plain = await generator.generate(asked)
    darker = await generator.generate(
        request(
            GenesisStage.CONCEPT_SELECTION,
            user_input="a lighthouse keeper's last winter",
            feedback="Make it darker, please",
            previous_proposal={},
        )
    )
    assert isinstance(plain, ConceptProposal) and isinstance(darker, ConceptProposal)
    assert {c.tone for c in darker.concepts} == {"brooding"}
    assert darker.revision_note is not None and "brooding" in darker.revision_note
    assert all("Revised" not in c.logline and "brooding" not in c.logline for c in darker.concepts)
    assert all("lighthouse keeper" in c.logline for c in darker.concepts)


async def test_the_idea_is_the_story_not_a_line_after_it() -> None:
    proposal = await generator.generate(
        request(GenesisStage.CONCEPT_SELECTION, user_input="A letter arrives from 2090. Then more.")
    )
    assert isinstance(proposal, ConceptProposal)
    for concept in proposal.concepts:
        # Mid-sentence its article is lower case; no stand-in hero before it (issue 76).
        assert ", a letter arrives from 2090" in concept.logline
        assert "stranger a letter" not in concept.logline.lower()
        assert "Then more" not in concept.logline and "Built on the idea" not in concept.logline


async def test_every_stage_tells_of_the_confirmed_concepts_hero() -> None:
    idea = "A retired detective in a drowned city investigates a murder nobody reported."
    concepts = await generator.generate(request(GenesisStage.CONCEPT_SELECTION, user_input=idea))
    assert isinstance(concepts, ConceptProposal)
    chosen = concepts.concepts[1]
    confirmed = {"CONCEPT_SELECTION": {"title": chosen.title, "logline": chosen.logline}}
    story = await generator.generate(
        request(GenesisStage.STORY_CONCEPTION, confirmed_data=confirmed)
    )
    assert isinstance(story, StoryProposal)
    assert "retired detective" in story.synopsis and "drowned city" in story.synopsis
    cast = await generator.generate(request(GenesisStage.CHARACTERS, confirmed_data=confirmed))
    assert isinstance(cast, CharactersProposal)
    assert "retired detective" in cast.characters[0].description


async def test_characters_have_their_own_arcs_and_chapters_their_own_beats() -> None:
    for language in ({}, {"user_input": "一座会遗忘的城市"}):
        cast = await generator.generate(request(GenesisStage.CHARACTERS, **language))
        assert isinstance(cast, CharactersProposal)
        arcs = [c.arc for c in cast.characters]
        assert len(set(arcs)) == len(arcs)
        plot = await generator.generate(request(GenesisStage.PLOT_OUTLINE, **language))
        assert isinstance(plot, PlotOutlineProposal)
        summaries = [ch.summary for act in plot.acts for ch in act.chapters]
        assert len(summaries) >= 7 and len(set(summaries)) == len(summaries)


@pytest.mark.parametrize(
    ("feedback", "said"),
    [("嗯……再想想吧", "没能从这条反馈里看出要改什么"), ("hmm, not sure", "I could not tell")],
)
async def test_feedback_nothing_was_read_from_is_said_so_never_reported_as_applied(
    feedback: str, said: str
) -> None:
    """Issue 55: a revision note lists what changed; a request not understood says so (issue
    76: from the diff, so only when the draft indeed changed nothing)."""
    first = GenerationRequest(
        session_id=uuid4(),
        stage=GenesisStage.STORY_CONCEPTION,
        preferences={"语言": "中文"} if said[0] == "没" else {},
    )
    before = (await OfflineGenerator().generate(first)).model_dump(mode="json")
    revised = await OfflineGenerator().generate(
        replace(first, feedback=feedback, previous_proposal=before)
    )
    assert revised.revision_note is not None and said in revised.revision_note
    assert feedback in revised.revision_note
    assert (
        "已按反馈修改" not in revised.revision_note
        and "Revised as asked" not in revised.revision_note
    )
