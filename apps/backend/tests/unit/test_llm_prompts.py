"""Prompt files and their rendering; the proposal schemas sent for structured output."""

import json
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from typing import Any
from uuid import UUID, uuid4

import pytest

from infinite_scribe.agents.llm.port import GenerationRequest
from infinite_scribe.agents.llm.prompts import PROMPT_STAGES, load_template, prompt_json, render
from infinite_scribe.domain.codex import Codex, CodexEntry
from infinite_scribe.domain.proposals import PROPOSAL_MODELS, response_schema
from infinite_scribe.settings.settings import ConfigurationError, load_settings
from shared_types.enums import GenesisStage

CONFIRMED = {
    "CONCEPT_SELECTION": {"title": "潮汐之城"},
    "STORY_CONCEPTION": {"premise": "Memory is currency."},
    "CHARACTERS": {"characters": [{"name": "Later stage"}]},
}


def request(stage: GenesisStage, **kw: object) -> GenerationRequest:
    return GenerationRequest(session_id=uuid4(), stage=stage, **kw)  # type: ignore[arg-type]


@pytest.mark.parametrize("stage", PROMPT_STAGES)
def test_every_stage_has_a_prompt_file_that_renders(stage: GenesisStage) -> None:
    prompt = render(request(stage))
    assert "JSON" in prompt.system and "${" not in prompt.user
    assert stage.value.replace("_", " ").lower() in prompt.user.lower()


def test_the_prompt_carries_earlier_confirmed_data_and_the_writer_inputs() -> None:
    prompt = render(
        request(
            GenesisStage.WORLDVIEW,
            confirmed_data=CONFIRMED,
            user_input="a $dollar {brace} idea",
            theme_preferences=("科幻",),
            style_preferences=("第一人称",),
        )
    )
    assert "潮汐之城" in prompt.user and "Memory is currency." in prompt.user
    assert "Later stage" not in prompt.user  # CHARACTERS comes after WORLDVIEW
    assert "a $dollar {brace} idea" in prompt.user and "科幻" in prompt.user
    assert "第一人称" in prompt.user and "Revision" not in prompt.user


def test_a_revision_adds_the_previous_proposal_and_the_feedback() -> None:
    prompt = render(
        request(
            GenesisStage.CONCEPT_SELECTION,
            feedback='Less "grim", more hope',
            previous_proposal={"concepts": [{"title": "Old title"}]},
        )
    )
    assert "## Revision" in prompt.user and "Old title" in prompt.user
    assert json.dumps('Less "grim", more hope') in prompt.user


def test_templates_ship_with_the_package() -> None:
    for name in ("system", "context", "revision"):
        assert load_template(name).template.strip()


def _walk(node: Any) -> list[dict[str, Any]]:
    if isinstance(node, list):
        return [found for item in node for found in _walk(item)]
    if not isinstance(node, dict):
        return []
    return [node, *(found for value in node.values() for found in _walk(value))]


@pytest.mark.parametrize("stage", list(PROPOSAL_MODELS))
def test_response_schemas_are_strict(stage: GenesisStage) -> None:
    schema = response_schema(stage)
    assert "source" not in schema["properties"]
    # What the provider and the worker stamp is not the model's: nor are their definitions
    # (the offered codex edits are EditCodex's own models, docs/agents.md).
    assert {"offered_edits", "feedback_applied"}.isdisjoint(schema["properties"])
    text = json.dumps(schema)
    assert not {"Rename", "SetRole", "Add", "Remove", "ProposalSource"} & set(
        schema.get("$defs", {})
    ), text[:300]
    for name in schema.get("$defs", {}):
        assert f"#/$defs/{name}" in text  # every definition left is used
    for node in _walk(schema):
        if node.get("type") == "object" and "properties" in node:
            assert node["additionalProperties"] is False
            assert set(node["required"]) == set(node["properties"])
        assert not {"maxLength", "minLength", "default"} & set(node)


@pytest.mark.parametrize(
    ("overrides", "problem"),
    [
        ({"llm_provider": "openai", "llm_model": "m"}, "LLM_BASE_URL"),
        ({"llm_provider": "openai", "llm_base_url": "http://127.0.0.1:1/v1"}, "LLM_MODEL"),
        ({"llm_base_url": "ftp://127.0.0.1/v1"}, "LLM_BASE_URL"),
        ({"llm_provider": "claude"}, "LLM_PROVIDER"),
        ({"llm_max_retries": -1}, "LLM_MAX_RETRIES"),
    ],
)
def test_llm_settings_are_validated(overrides: dict[str, object], problem: str) -> None:
    with pytest.raises(ConfigurationError, match=problem):
        load_settings(**overrides)


def test_the_codex_goes_first_as_fixed_text_and_the_request_last() -> None:
    codex = Codex(
        (CodexEntry("person", "Isobel Reid", "hero", ("apprentice",), "edit", "e1"),),
        renames={"Ann": "Isobel Reid"},
    ).as_json()
    request = GenerationRequest(
        session_id=uuid4(), stage=GenesisStage.CHARACTERS, codex=codex, feedback="darker"
    )
    user = render(request).user
    assert user.startswith("## The writer's codex: fixed")
    assert user.index('"Isobel Reid"') < user.index("# Stage: characters")
    assert '"hero"' in user and '"apprentice"' in user
    assert "e1" not in user and '"edit"' not in user  # bookkeeping stays out: stable text
    other = render(replace(request, feedback="lighter", stage=GenesisStage.WORLDVIEW)).user
    # The same first text across a session's calls: the codex, the wishes, the language and the
    # confirmed stages, up to what changes (the feedback, then the stage's request: decision 7712).
    prefix = user[: user.index("## Revision")]
    assert '"Isobel Reid"' in prefix and "darker" not in prefix
    assert other.startswith(prefix)
    assert not render(replace(request, codex={})).user.startswith("## The writer's codex")


def test_a_prompts_json_block_is_the_standard_encoders_text() -> None:
    """orjson writes the blocks (the standard encoder with an indent runs in Python); the text
    must stay what `json.dumps(indent=2, ensure_ascii=False, default=str)` wrote."""

    @dataclass
    class Card:
        name: str

    value = {
        "概念": {"标题": "雨夜的钟楼", "主题": ["孤独", "真相"], "篇幅": 12, "比例": 0.5},
        "empty": {"list": [], "dict": {}, "none": None, "yes": True},
        1: "an int key",
        "when": datetime(2026, 11, 28, 17, 0, tzinfo=UTC),
        "day": date(2026, 11, 28),
        "id": UUID(int=7),
        "card": Card("Ines"),
        "pair": ("a", "b"),
        "quote": 'she said "no"\nand left\t\\',
    }
    expected = json.dumps(value, ensure_ascii=False, indent=2, default=str)
    assert prompt_json(value) == expected
