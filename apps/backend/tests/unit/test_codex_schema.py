"""Issue 76: where the server takes a grammar, the codex's names are in the request's schema
(agents/llm/codex_schema.py): the hero in every concept's logline and the story's premise, the
deadline in the synopsis, the places in the world's setting, each as a `pattern` the grammar
holds the reply to; OpenAI's strict form and an empty codex are sent as before. Where the
local engine is installed (`make model`), llama.cpp's own converter compiles each schema and
its grammar refuses a reply without the name."""

import json
from typing import Any

import pytest

from infinite_scribe.agents.llm.codex_schema import AROUND, TEXT, with_codex
from infinite_scribe.agents.llm.replies import stage_reply
from infinite_scribe.agents.llm.schema_forms import request_fields
from infinite_scribe.domain.codex import Codex, CodexEntry
from shared_types.enums import GenesisStage
from tests.support.replies import sent_schema

CODEX = Codex(
    (
        CodexEntry("person", "Isobel Grant", "hero"),
        CodexEntry("place", "Leith"),
        CodexEntry("time", "Hogmanay", "deadline"),
    )
).as_json()


def _schema(stage: GenesisStage, form: str, codex: dict[str, Any]) -> Any:
    structured = with_codex(stage_reply(stage), stage, codex)
    return sent_schema(request_fields(form, structured))


#: What a pattern allows after a name (bounded: an unbounded `.*` let a model write on; no
#: quote: a `.` took the model's closing quote as more text).
G = f"{TEXT}{{0,{AROUND}}}"


def test_the_hero_deadline_and_places_are_patterns_of_the_grammar() -> None:
    concept = _schema(GenesisStage.CONCEPT_SELECTION, "llama_cpp", CODEX)
    logline = concept["properties"]["concepts"]["items"]["properties"]["logline"]
    assert logline["pattern"] == f"^Isobel Grant{G}$"
    story = _schema(GenesisStage.STORY_CONCEPTION, "ollama", CODEX)["properties"]
    assert story["premise"]["pattern"] == f"^Isobel Grant{G}$"
    assert story["synopsis"]["pattern"] == f"^Hogmanay{G}$"
    world = _schema(GenesisStage.WORLDVIEW, "llama_cpp", CODEX)["properties"]
    assert world["setting"]["pattern"] == f"^Leith{G}$"


def test_no_codex_or_no_grammar_sends_the_schema_as_before() -> None:
    stage = GenesisStage.CONCEPT_SELECTION
    assert _schema(stage, "llama_cpp", {}) == sent_schema(
        request_fields("llama_cpp", stage_reply(stage))
    )
    assert "pattern" not in json.dumps(_schema(stage, "openai", CODEX))


def test_a_name_with_regex_operators_is_held_verbatim() -> None:
    codex = Codex((CodexEntry("person", "J. R. (Jack) Hale", "hero"),)).as_json()
    premise = _schema(GenesisStage.STORY_CONCEPTION, "llama_cpp", codex)["properties"]["premise"]
    assert premise["pattern"] == f"^J\\. R\\. \\(Jack\\) Hale{G}$"


@pytest.mark.parametrize(
    "stage",
    [GenesisStage.CONCEPT_SELECTION, GenesisStage.STORY_CONCEPTION, GenesisStage.WORLDVIEW],
)
def test_llama_cpp_compiles_the_schema_and_its_grammar_needs_the_name(
    stage: GenesisStage,
) -> None:
    grammar_module = pytest.importorskip(
        "llama_cpp.llama_grammar", reason="the local engine is not installed (make model)"
    )
    schema = _schema(stage, "llama_cpp", CODEX)
    gbnf = grammar_module.json_schema_to_gbnf(json.dumps(schema))
    name = {"CONCEPT_SELECTION": "Isobel Grant", "STORY_CONCEPTION": "Hogmanay"}
    # The converter writes a literal in pieces ("Isobel Gran" "t"): read joined.
    assert name.get(stage.value, "Leith") in gbnf.replace('" "', "")
    # What follows the name is a JSON string's own characters: a quote ends the text.
    assert '[^"\\\\\\x7F\\x00-\\x1F]' in gbnf


def test_a_pattern_holds_names_in_order_the_first_leading() -> None:
    codex = Codex((CodexEntry("place", "Leith"), CodexEntry("place", "Edinburgh"))).as_json()
    setting = _schema(GenesisStage.WORLDVIEW, "llama_cpp", codex)["properties"]["setting"]
    assert setting["pattern"] == f"^Leith{G}Edinburgh{G}$"


@pytest.mark.parametrize("codex", [CODEX, {}])
def test_the_concepts_asked_for_are_the_grammars_count(codex: dict[str, Any]) -> None:
    """SmolLM2 wrote four and five concepts where two were asked (stop 88): where a grammar
    holds the reply, it holds the count too; a count the schema cannot hold is the guard's."""
    stage = GenesisStage.CONCEPT_SELECTION

    def sent(form: str, options: int | None) -> Any:
        return sent_schema(
            request_fields(form, with_codex(stage_reply(stage), stage, codex, options))
        )

    def bounds(form: str, options: int | None) -> tuple[int, int]:
        concepts = sent(form, options)["properties"]["concepts"]
        return concepts["minItems"], concepts["maxItems"]

    assert bounds("llama_cpp", 2) == (2, 2) and bounds("ollama", 5) == (5, 5)
    assert bounds("llama_cpp", 9) == bounds("llama_cpp", None) == (2, 5)
    assert sent("openai", 2) == sent_schema(request_fields("openai", stage_reply(stage)))
    converter = pytest.importorskip("llama_cpp.llama_grammar", reason="no engine (make model)")
    # llama.cpp's converter: two items and the closing bracket, where 2-5 has optional tails.
    exact, free = (
        converter.json_schema_to_gbnf(json.dumps(sent("llama_cpp", n))) for n in (2, None)
    )
    two = 'concepts ::= "[" space concepts-item "," space concepts-item "]" space'
    assert two in exact.splitlines() and two not in free.splitlines()
