"""The one place a server's kind becomes its JSON Schema form (issue 68): each shape, and every
schema the project sends compiled (no `$ref`, no grammar-sized `maxItems`)."""

import json
from typing import Any

import pytest
from pydantic import BaseModel

from infinite_scribe.agents.llm.port import InvalidOutput
from infinite_scribe.agents.llm.replies import (
    BeatSheet,
    ContinuityReview,
    beats_reply,
    review_reply,
    stage_reply,
)
from infinite_scribe.agents.llm.reply_parsing import parse_proposal
from infinite_scribe.agents.llm.schema_forms import (
    GRAMMAR_MAX_ITEMS,
    PROSE_GRAMMAR,
    SCHEMA_FORMS,
    Structured,
    compiled,
    for_grammar,
    request_fields,
    schema_note,
)
from infinite_scribe.domain.proposals import PROPOSAL_MODELS
from shared_types.enums import GenesisStage
from tests.support.replies import every_reply, sent_schema

REPLY = Structured("concept_selection_proposal", {"type": "object", "properties": {}})


def test_openai_form_is_json_schema_with_its_name_and_strict() -> None:
    assert request_fields("openai", REPLY) == {
        "response_format": {
            "type": "json_schema",
            "json_schema": {"name": REPLY.name, "schema": dict(REPLY.schema), "strict": True},
        }
    }


def test_llama_cpp_form_is_json_object_with_the_schema() -> None:
    fields = request_fields("llama_cpp", REPLY)
    assert fields == {"response_format": {"type": "json_object", "schema": dict(REPLY.schema)}}


def test_a_text_reply_carries_the_prose_grammar_only_where_the_server_takes_one() -> None:
    assert request_fields("llama_cpp", None) == {"grammar": PROSE_GRAMMAR}
    for form in ("openai", "ollama", "json_object", "none"):
        assert request_fields(form, None) == {}


def test_ollama_form_is_a_format_field() -> None:
    assert request_fields("ollama", REPLY) == {"format": dict(REPLY.schema)}


@pytest.mark.parametrize("form", ["llama_cpp", "ollama"])
def test_the_grammar_forms_ask_for_non_empty_free_strings(form: str) -> None:
    schema = {
        "type": "object",
        "properties": {
            "name": {"type": "string"},
            "kind": {"type": "string", "enum": ["a", "b"]},
            "note": {"anyOf": [{"type": "string"}, {"type": "null"}]},
        },
    }
    sent = sent_schema(request_fields(form, Structured("x", schema)))
    assert sent is not None
    assert sent["properties"]["name"] == {"type": "string", "minLength": 1}
    assert sent["properties"]["kind"] == {"type": "string", "enum": ["a", "b"]}
    assert sent["properties"]["note"]["anyOf"][0] == {"type": "string", "minLength": 1}
    openai = sent_schema(request_fields("openai", Structured("x", schema)))
    assert openai == schema  # OpenAI's strict mode refuses minLength


def test_the_fallbacks_carry_no_schema_and_put_it_in_the_prompt() -> None:
    assert request_fields("json_object", REPLY) == {"response_format": {"type": "json_object"}}
    assert request_fields("none", REPLY) == {}
    for form in ("json_object", "none"):
        note = schema_note(form, REPLY)
        assert note is not None and REPLY.name in note and '"type":"object"' in note
    for form in ("openai", "llama_cpp", "ollama"):
        assert schema_note(form, REPLY) is None


@pytest.mark.parametrize("form", SCHEMA_FORMS)
def test_text_puts_no_schema_in_the_prompt_in_any_form(form: str) -> None:
    assert schema_note(form, None) is None


def test_an_unknown_form_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown schema form"):
        request_fields("grpc", REPLY)


@pytest.mark.parametrize("form", ["openai", "llama_cpp", "ollama"])
def test_the_schema_sent_is_read_back_from_each_form(form: str) -> None:
    assert sent_schema(request_fields(form, REPLY)) == REPLY.schema


def test_no_schema_is_read_from_a_body_without_one() -> None:
    assert sent_schema({"response_format": {"type": "json_object"}}) is None
    assert sent_schema({}) is None


def _walk(node: Any) -> list[tuple[str, Any]]:
    if isinstance(node, list):
        return [pair for item in node for pair in _walk(item)]
    if isinstance(node, dict):
        return [(k, v) for k, v in node.items()] + [p for v in node.values() for p in _walk(v)]
    return []


@pytest.mark.parametrize("reply", every_reply(), ids=lambda reply: reply.name)
def test_every_schema_sent_is_self_contained(reply: Structured) -> None:
    pairs = _walk(reply.schema)
    keys = {key for key, _ in pairs}
    assert "$ref" not in keys and "$defs" not in keys
    assert all(v <= GRAMMAR_MAX_ITEMS for k, v in pairs if k == "maxItems")
    assert reply.schema["type"] == "object" and reply.schema["additionalProperties"] is False


def test_every_reply_names_each_stage_the_batch_the_beats_and_the_review() -> None:
    names = [reply.name for reply in every_reply()]
    assert len(names) == len(set(names)) == len(PROPOSAL_MODELS) + 3
    assert {"outline_chapters", "chapter_beats", "continuity_review"} <= set(names)


def test_the_outline_schema_keeps_its_acts_and_chapters_inline() -> None:
    schema = stage_reply(GenesisStage.PLOT_OUTLINE).schema
    act = schema["properties"]["acts"]["items"]
    chapter = act["properties"]["chapters"]["items"]
    assert set(chapter["properties"]) == {"title", "summary"}
    assert "maxItems" not in act["properties"]["chapters"]  # 2,000: left to the model check
    assert schema["properties"]["acts"]["maxItems"] == 5


def test_compiling_inlines_siblings_and_refuses_a_recursive_schema() -> None:
    schema = {
        "$defs": {"A": {"type": "string"}},
        "properties": {"a": {"$ref": "#/$defs/A", "description": "kept"}},
    }
    assert compiled(schema) == {"properties": {"a": {"type": "string", "description": "kept"}}}
    looping = {"$defs": {"A": {"items": {"$ref": "#/$defs/A"}}}, "items": {"$ref": "#/$defs/A"}}
    with pytest.raises(ValueError, match="inside itself"):
        compiled(looping)


@pytest.mark.parametrize(
    ("reply", "model", "valid"),
    [
        (beats_reply(), BeatSheet, {"beats": ["Ana opens the door."]}),
        (review_reply(), ContinuityReview, {"findings": []}),
    ],
)
def test_the_beats_and_review_schemas_come_from_the_models_that_read_the_replies(
    reply: Structured, model: type[BaseModel], valid: dict[str, Any]
) -> None:
    assert set(reply.schema["properties"]) == set(model.model_fields)
    model.model_validate_json(json.dumps(valid))


def test_a_stage_reply_is_read_by_the_model_its_schema_comes_from() -> None:
    schema = stage_reply(GenesisStage.STORY_CONCEPTION).schema
    reply = {name: None for name in schema["properties"]} | {
        "premise": "A lighthouse keeper hears the sea talk.",
        "synopsis": "She listens; the sea lies.",
        "conflicts": ["the sea against the town"],
        "themes": [],
    }
    proposal = parse_proposal(GenesisStage.STORY_CONCEPTION, json.dumps(reply))
    assert proposal.model_dump()["premise"].startswith("A lighthouse")


def test_no_model_writes_what_a_revision_changed() -> None:
    """A revision's note is read from the diff (decision 7602): no stage's reply asks for one,
    and one a model writes anyway (a server without a grammar) is dropped."""
    assert all("revision_note" not in stage_reply(s).schema["properties"] for s in PROPOSAL_MODELS)
    reply = {"premise": "Ada keeps the light.", "synopsis": "She does.", "conflicts": ["the sea"]}
    told = reply | {"themes": [], "title": None, "writing_style": None, "note": None}
    proposal = parse_proposal(
        GenesisStage.STORY_CONCEPTION, json.dumps(told | {"revision_note": "All new."})
    )
    assert proposal.revision_note is None


def test_a_label_loses_the_list_separator_a_model_wrote_into_it() -> None:
    """SmolLM2 writes `"genre": "tropic mystery,"` and `"themes": ["love,"]` (the engine lane,
    stop 88): the separator is the list's, not the label's. A longer text keeps its end (a
    line cut at a comma is the guard's to refuse), and a label of a separator alone is none."""
    cut = "Elias Thorne keeps a light on an island where the storms come in,"
    option = {"title": "The Letter", "logline": cut, "themes": ["love,", " loss \uff1b"]}
    reply = {"concepts": [option | {"genre": "tropic mystery,", "tone": "grim、"}] * 2}
    proposal = parse_proposal(GenesisStage.CONCEPT_SELECTION, json.dumps(reply)).model_dump()
    first = proposal["concepts"][0]
    assert (first["genre"], first["tone"], first["themes"]) == (
        "tropic mystery",
        "grim",
        ["love", "loss"],
    )
    assert first["logline"] == cut
    with pytest.raises(InvalidOutput, match="themes"):
        parse_proposal(
            GenesisStage.CONCEPT_SELECTION,
            json.dumps({"concepts": [option | {"themes": [","]}] * 2}),
        )


def test_a_grammar_holds_every_text_to_a_bound() -> None:
    """A free text without a bound in the grammar let a small model write one description on
    to the token limit; each gets its model's bound, capped (a bound is as many rules)."""
    schema = {
        "type": "object",
        "properties": {
            "genre": {"type": "string", "minLength": 1, "maxLength": 100},
            "synopsis": {"type": "string", "minLength": 1, "maxLength": 6000},
            "aside": {"type": ["string", "null"]},
            "kind": {"type": "string", "enum": ["a", "b"]},
        },
    }
    grammar = for_grammar(schema)["properties"]
    assert grammar["genre"] == {"type": "string", "minLength": 1, "maxLength": 100}
    assert grammar["synopsis"] == {"type": "string", "minLength": 1, "maxLength": 1000}
    assert grammar["aside"] == {"type": ["string", "null"], "maxLength": 1000}
    assert grammar["kind"] == {"type": "string", "enum": ["a", "b"]}


def test_each_reply_has_its_grammar_with_the_models_short_bounds() -> None:
    concept = stage_reply(GenesisStage.CONCEPT_SELECTION)
    option = concept.grammar["properties"]["concepts"]["items"]  # type: ignore[index]
    assert option["properties"]["title"]["maxLength"] == 200
    assert option["properties"]["logline"]["maxLength"] == 1000  # never unbounded
    assert "maxLength" not in json.dumps(concept.schema)  # OpenAI's form has none
    assert all(reply.grammar for reply in every_reply())
    sent = sent_schema(request_fields("llama_cpp", concept))
    assert sent == concept.grammar
