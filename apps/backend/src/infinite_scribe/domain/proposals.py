"""What an agent may propose for each genesis stage: strict Pydantic models, pure.

A proposal becomes the session's `last_result` (the payload `result` of a `...Proposed`
event), so anything a model or a generator returns is validated here first: unknown fields
are refused and every text and list is bounded, so a runaway model cannot store a novel's
worth of text in one event. `response_schema(stage)` is the JSON Schema sent to a model for
structured output.
"""

from collections.abc import Iterator
from copy import deepcopy
from enum import StrEnum
from functools import cache
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, StringConstraints

from infinite_scribe.domain.commands import Edit
from shared_types.enums import GenesisStage

Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Line = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=1_000)]
Prose = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=6_000)]
#: The separators a list's items are written with, which a model leaves inside a label.
_SEPARATORS = " \t\n,;\uff0c\u3001\uff1b"  # with the full-width comma and semicolon, and 、


def _label(value: Any) -> Any:
    """A label without the list separator a model wrote into it (`"genre": "mystery,"`,
    `"themes": ["love,"]`): the comma is the list's, not the label's. A label is a tag by kind;
    a longer text keeps its end (a line cut at a comma is the guard's to refuse)."""
    return value.rstrip(_SEPARATORS) if isinstance(value, str) else value


Tag = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=100),
    BeforeValidator(_label),
]


class ProposalSource(StrEnum):
    """Who wrote a proposal: a language model, or the offline generator (a placeholder)."""

    LLM = "llm"
    OFFLINE_DRAFT = "offline_draft"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Proposal(_Strict):
    """Base of every stage proposal: its content, and what it says about itself (where it came
    from, a note for the writer, what a revision changed), which is never the writer's text."""

    source: ProposalSource = ProposalSource.LLM
    note: Line | None = None
    #: What a revision changed, for the writer to read next to the proposal (None at first).
    revision_note: Line | None = None
    #: The writer's feedback this draft has taken in, oldest first (stamped by the provider).
    feedback_applied: list[Line] = Field(default_factory=list, max_length=20)
    #: What the feedback asked that the codex decides (a new name for the hero or the rival,
    #: someone in that role): not made, offered as edits the writer confirms (stamped by the
    #: worker).
    offered_edits: list[Edit] = Field(default_factory=list, max_length=4)


#: A proposal's fields about itself rather than the story: left out of what the writer
#: confirms, of what the bible shows and of what a revision compares.
PROPOSAL_META = ("source", "note", "revision_note", "feedback_applied", "offered_edits")


class ConceptOption(_Strict):
    title: Name
    logline: Line
    themes: list[Tag] = Field(min_length=1, max_length=8)
    tone: Tag | None = None
    genre: Tag | None = None


class ConceptProposal(Proposal):
    """CONCEPT_SELECTION: a few concepts the writer chooses from."""

    concepts: list[ConceptOption] = Field(min_length=2, max_length=5)


class StoryProposal(Proposal):
    """STORY_CONCEPTION: the story's premise, synopsis and central conflicts."""

    title: Name | None = None
    premise: Line
    synopsis: Prose
    conflicts: list[Line] = Field(min_length=1, max_length=8)
    themes: list[Tag] = Field(default_factory=list, max_length=8)
    #: How the novel is told ("third person, present tense"): the writer's style wishes.
    writing_style: Tag | None = None


class Location(_Strict):
    name: Name
    description: Line


class WorldviewProposal(Proposal):
    """WORLDVIEW: the setting, the rules that hold in it, and its places."""

    setting: Prose
    rules: list[Line] = Field(min_length=1, max_length=12)
    locations: list[Location] = Field(min_length=1, max_length=12)
    history: Prose | None = None


class Character(_Strict):
    name: Name
    role: Tag
    description: Line
    motivation: Line
    arc: Line | None = None


class CharactersProposal(Proposal):
    """CHARACTERS: the cast and how they relate."""

    characters: list[Character] = Field(min_length=1, max_length=12)
    relationships: list[Line] = Field(default_factory=list, max_length=24)


class Chapter(_Strict):
    title: Name
    summary: Line


#: Chapters an outline may hold (domain.chapter_brief.MAX_CHAPTERS): a model writes a few dozen
#: in one reply; more are written in batches (domain/outline_plan.py).
MAX_OUTLINE_CHAPTERS = 2000


class Act(_Strict):
    title: Name
    summary: Line
    chapters: list[Chapter] = Field(min_length=1, max_length=MAX_OUTLINE_CHAPTERS)


class PlotOutlineProposal(Proposal):
    """PLOT_OUTLINE: acts, each with its chapters."""

    acts: list[Act] = Field(min_length=1, max_length=5)


PROPOSAL_MODELS: dict[GenesisStage, type[Proposal]] = {
    GenesisStage.CONCEPT_SELECTION: ConceptProposal,
    GenesisStage.STORY_CONCEPTION: StoryProposal,
    GenesisStage.WORLDVIEW: WorldviewProposal,
    GenesisStage.CHARACTERS: CharactersProposal,
    GenesisStage.PLOT_OUTLINE: PlotOutlineProposal,
}

# OpenAI's strict structured output rejects these keywords (the Pydantic model still enforces
# them on the reply); local servers vary, so the portable subset is sent.
_UNSUPPORTED_KEYWORDS = frozenset({"minLength", "maxLength", "default", "title"})
#: What a grammar-constrained server is sent besides (issue 68): the texts' bounds.
_LENGTHS = frozenset({"minLength", "maxLength"})


def proposal_model(stage: GenesisStage) -> type[Proposal]:
    """The model of `stage`'s proposal; KeyError for FINISHED (nothing is proposed there)."""
    return PROPOSAL_MODELS[stage]


class OutlineBatch(_Strict):
    """One batch of an outline's chapters (a model's reply to a batch's prompt)."""

    chapters: list[Chapter] = Field(min_length=1, max_length=30)


#: The `json_schema.name` of a batch of outline chapters.
OUTLINE_BATCH_SCHEMA = "outline_chapters"


@cache
def outline_batch_schema(lengths: bool = False) -> dict[str, Any]:
    """The strict structured output of a batch of outline chapters."""
    schema: dict[str, Any] = _strictify(OutlineBatch.model_json_schema(), lengths)
    return schema


def strict_schema(model: type[BaseModel], lengths: bool = False) -> dict[str, Any]:
    """`model`'s JSON Schema for strict structured output (see `response_schema`)."""
    schema: dict[str, Any] = _strictify(model.model_json_schema(), lengths)
    return schema


def schema_name(stage: GenesisStage) -> str:
    """The `json_schema.name` sent for `stage` (letters and underscores, as OpenAI requires)."""
    return f"{stage.value.lower()}_proposal"


def _refs(node: Any) -> Iterator[str]:
    """The names of the definitions `node` refers to ("#/$defs/Name")."""
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str):
            yield ref.rsplit("/", 1)[-1]
        for value in node.values():
            yield from _refs(value)
    elif isinstance(node, list):
        for value in node:
            yield from _refs(value)


def _drop_unused_definitions(schema: dict[str, Any]) -> None:
    """The definitions only the popped properties used (the stamped fields' models: the
    source's enum, the offered codex edits) leave the schema a model is sent."""
    definitions = schema.get("$defs", {})
    used = set(_refs({k: v for k, v in schema.items() if k != "$defs"}))
    frontier = set(used)
    while frontier:
        frontier = {n for name in frontier for n in _refs(definitions.get(name))} - used
        used |= frontier
    for name in set(definitions) - used:
        definitions.pop(name)
    if not definitions:
        schema.pop("$defs", None)


@cache
def _response_schema(stage: GenesisStage, lengths: bool = False) -> dict[str, Any]:
    schema = proposal_model(stage).model_json_schema()
    properties = schema["properties"]
    properties.pop("source")  # stamped by the provider, never the model's to claim
    properties.pop("feedback_applied")  # stamped by the provider from the request
    properties.pop("offered_edits")  # stamped by the worker from the feedback
    # What a revision changed is read from the diff (domain/revision_note.py), never asked of
    # the model: SmolLM2 spent a cast's tokens on one, and a first proposal kept it unread.
    properties.pop("revision_note")
    properties["note"] = properties.pop("note")  # last: the content first, then a remark
    _drop_unused_definitions(schema)
    strict: dict[str, Any] = _strictify(schema, lengths)
    return strict


def response_schema(stage: GenesisStage, lengths: bool = False) -> dict[str, Any]:
    """JSON Schema for strict structured output: every property required (optional ones are
    nullable), no additional properties, `source` left out (`lengths`: see `_strictify`)."""
    return deepcopy(_response_schema(stage, lengths))


def _strictify(node: Any, lengths: bool = False) -> Any:
    """`node` for strict output: no keyword OpenAI refuses (`lengths`: the texts' bounds kept,
    for a grammar-constrained server), every property required, nothing else allowed."""
    if isinstance(node, list):
        return [_strictify(item, lengths) for item in node]
    if not isinstance(node, dict):
        return node
    out = {
        key: (value if key == "properties" else _strictify(value, lengths))
        for key, value in node.items()
        if key not in _UNSUPPORTED_KEYWORDS or (lengths and key in _LENGTHS)
    }
    if "properties" in out:
        properties = out["properties"].items()
        out["properties"] = {name: _strictify(sub, lengths) for name, sub in properties}
        out["required"] = list(out["properties"])
        out["additionalProperties"] = False
    return out
