"""The codex's names in a grammar (issue 76): where the server holds its reply to a grammar
(LLM_SCHEMA_FORM `llama_cpp`, `ollama`: the local engine), the schema sent says what the writer
named, so the model cannot leave it out: a `pattern` holding the name verbatim on the hero's
text (every concept's logline, the story's premise), the deadline's (the story's synopsis) and
the places' (the world's setting, in the codex's order); and the concepts the writer asked for
are the concepts' count. A cast is not held so: llama.cpp's
converter reads `items` over `prefixItems` (a tuple would fix the cast's size), so the cast is
left to the guard (domain/proposal_guard.py), which reads every reply after its Pydantic model.
"""

from collections.abc import Mapping
from copy import deepcopy
from dataclasses import replace
from typing import Any

from infinite_scribe.agents.llm.schema_forms import Structured
from infinite_scribe.domain.codex import DEADLINE, Codex
from shared_types.enums import GenesisStage

#: What a regular expression reads as an operator: escaped in a name, whitespace left alone
#: (llama.cpp's pattern converter reads `\ ` as an unknown escape).
_OPERATORS = frozenset(".^$*+?()[]{}|\\/")


def with_codex(
    structured: Structured,
    stage: GenesisStage,
    codex: Mapping[str, Any],
    options: int | None = None,
) -> Structured:
    """`structured` with the codex's names, and the concepts the writer asked for (`options`),
    in its grammar (unchanged without a grammar: OpenAI's strict form refuses `pattern`)."""
    read = Codex.from_json(codex)
    counted = stage is GenesisStage.CONCEPT_SELECTION and options is not None
    if structured.grammar is None or not (read.entries or counted):
        return structured
    grammar = deepcopy(dict(structured.grammar))
    properties = grammar.get("properties", {})
    if counted and options is not None:
        _counted(properties["concepts"], options)
    hero = read.hero
    deadlines = [entry.name for entry in read.of_kind("time") if entry.role == DEADLINE]
    places = [entry.name for entry in read.of_kind("place")]
    if stage is GenesisStage.CONCEPT_SELECTION and hero is not None:
        option = properties["concepts"]["items"]["properties"]
        option["logline"] = _naming(option["logline"], [hero.name])
    elif stage is GenesisStage.STORY_CONCEPTION:
        if hero is not None:
            properties["premise"] = _naming(properties["premise"], [hero.name])
        if deadlines:
            properties["synopsis"] = _naming(properties["synopsis"], deadlines)
    elif stage is GenesisStage.WORLDVIEW and places:
        properties["setting"] = _naming(properties["setting"], places)
    return replace(structured, grammar=grammar)


def _counted(array: dict[str, Any], asked: int) -> None:
    """`array` held to `asked` items, where its own bounds allow that many (SmolLM2 wrote
    four and five concepts where two were asked, and its copies of one another were refused)."""
    if array.get("minItems", 0) <= asked <= array.get("maxItems", asked):
        array["minItems"] = array["maxItems"] = asked


def _escaped(name: str) -> str:
    return "".join(f"\\{char}" if char in _OPERATORS else char for char in name)


#: The characters a pattern allows after and between the names: bounded, because llama.cpp's
#: converter reads `pattern` over `maxLength`, and an unbounded `.*` let a small model write on
#: until the token limit cut the reply (the engine lane's concepts, seen at the merge).
AROUND = 240
#: What a JSON string holds unescaped (llama.cpp's own `char` rule without its escapes): the
#: pattern's `.` took `"` too, so a model's closing quote before the name read as more text and
#: the grammar made it write on (the engine lane's concepts, issue 76).
TEXT = r'[^"\\\x7F\x00-\x1F]'


def _naming(text: Mapping[str, Any], names: list[str]) -> dict[str, Any]:
    """A string schema whose value starts with the first of `names` and holds the rest verbatim,
    in that order. The first leads (a logline and a premise open on the hero): a name after a
    gap is a choice at every character, which a 135M model put off to the bound."""
    bounded = {key: value for key, value in text.items() if key != "maxLength"}
    gap = f"{TEXT}{{0,{AROUND}}}"
    held = gap.join(_escaped(name) for name in names)
    return bounded | {"pattern": f"^{held}{gap}$"}
