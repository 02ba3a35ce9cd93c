"""Proposals in the writer's language: the offline generator and the prompts."""

import re
from uuid import uuid4

import pytest

from infinite_scribe.agents.llm.language import CHINESE, ENGLISH, writer_language
from infinite_scribe.agents.llm.offline import OfflineGenerator
from infinite_scribe.agents.llm.offline.words import CHINESE as CHINESE_WORDS
from infinite_scribe.agents.llm.port import GenerationRequest
from infinite_scribe.agents.llm.prompts import render
from infinite_scribe.domain.proposals import PROPOSAL_MODELS
from shared_types.enums import GenesisStage

HAN = re.compile(r"[\u4e00-\u9fff]")
LATIN_WORD = re.compile(r"[A-Za-z]{3,}")
SPEC = {"theme_preferences": ("科幻", "悬疑"), "style_preferences": ("快节奏", "第一人称")}


def request(stage: GenesisStage, **kw: object) -> GenerationRequest:
    return GenerationRequest(session_id=uuid4(), stage=stage, **kw)  # type: ignore[arg-type]


def texts(value: object) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [text for key, item in value.items() if key != "source" for text in texts(item)]
    if isinstance(value, list):
        return [text for item in value for text in texts(item)]
    return []


@pytest.mark.parametrize("stage", list(PROPOSAL_MODELS))
async def test_chinese_wishes_get_a_chinese_draft_at_every_stage(stage: GenesisStage) -> None:
    proposal = await OfflineGenerator().generate(request(stage, **SPEC))
    words = texts(proposal.model_dump(mode="json"))
    assert proposal.note == CHINESE_WORDS.note
    assert all(HAN.search(text) for text in words), words
    assert not any(LATIN_WORD.search(text) for text in words), words


async def test_english_wishes_get_an_english_draft() -> None:
    proposal = await OfflineGenerator().generate(
        request(GenesisStage.CONCEPT_SELECTION, user_input="a city that forgets")
    )
    assert not any(HAN.search(text) for text in texts(proposal.model_dump(mode="json")))


def test_the_language_follows_the_writer_then_what_they_confirmed() -> None:
    assert writer_language(request(GenesisStage.WORLDVIEW, **SPEC)) == CHINESE
    assert writer_language(request(GenesisStage.WORLDVIEW, feedback="更黑暗")) == CHINESE
    assert writer_language(request(GenesisStage.WORLDVIEW, user_input="dark")) == ENGLISH
    confirmed = {"CONCEPT_SELECTION": {"title": "星潮"}}
    assert writer_language(request(GenesisStage.WORLDVIEW, confirmed_data=confirmed)) == CHINESE
    # The writer's own words win over what an earlier (maybe offline) stage said.
    mixed = request(GenesisStage.WORLDVIEW, confirmed_data=confirmed, user_input="in English")
    assert writer_language(mixed) == ENGLISH


def test_the_prompt_asks_for_the_writers_language() -> None:
    assert "Chinese (简体中文)" in render(request(GenesisStage.CONCEPT_SELECTION, **SPEC)).user
    english = render(request(GenesisStage.CONCEPT_SELECTION, user_input="a city")).user
    assert "## Language" in english and "Chinese" not in english
