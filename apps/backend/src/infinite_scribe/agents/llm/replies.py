"""Every JSON reply the project asks a model for, as the Pydantic model that validates it and
the schema sent with the request (issue 68): the five stages' proposals, a batch of outline
chapters, a chapter's beat sheet and a continuity review. One source: the schema is generated
from the model that then reads the reply.
"""

from functools import cache
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from infinite_scribe.agents.llm.schema_forms import Structured, compiled, for_grammar
from infinite_scribe.domain.proposals import (
    OUTLINE_BATCH_SCHEMA,
    outline_batch_schema,
    response_schema,
    schema_name,
    strict_schema,
)
from shared_types.enums import GenesisStage

_Sentence = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=1000)]
_Quote = Annotated[str, StringConstraints(strip_whitespace=True, max_length=2000)]
#: A chapter's beats (agents/chapter_writer.MAX_BEATS): each is one more model call.
MAX_BEATS = 12
MAX_FINDINGS = 20


class BeatSheet(BaseModel):
    """A chapter's plan: its beats, one sentence each (agents/prompts/chapter_beats.md)."""

    model_config = ConfigDict(extra="forbid")

    beats: list[_Sentence] = Field(min_length=1, max_length=MAX_BEATS)


class ReviewFinding(BaseModel):
    """One contradiction a model found (agents/prompts/continuity_check.md); its proof is
    checked by domain/continuity.from_model before it is kept."""

    model_config = ConfigDict(extra="forbid")

    kind: Literal["dead_character_acts", "trait_changed"]
    who: _Quote
    attribute: _Quote | None = None
    quote: _Quote
    evidence_quote: _Quote


class ContinuityReview(BaseModel):
    """A model's continuity review of a chapter: its findings ([] when nothing contradicts)."""

    model_config = ConfigDict(extra="forbid")

    findings: list[ReviewFinding] = Field(max_length=MAX_FINDINGS)


@cache
def stage_reply(stage: GenesisStage) -> Structured:
    """The schema of `stage`'s proposal, as sent."""
    grammar = for_grammar(compiled(response_schema(stage, lengths=True)))
    return Structured(schema_name(stage), compiled(response_schema(stage)), grammar)


@cache
def outline_batch_reply() -> Structured:
    grammar = for_grammar(compiled(outline_batch_schema(lengths=True)))
    return Structured(OUTLINE_BATCH_SCHEMA, compiled(outline_batch_schema()), grammar)


@cache
def beats_reply() -> Structured:
    grammar = for_grammar(compiled(strict_schema(BeatSheet, lengths=True)))
    return Structured("chapter_beats", compiled(strict_schema(BeatSheet)), grammar)


@cache
def review_reply() -> Structured:
    grammar = for_grammar(compiled(strict_schema(ContinuityReview, lengths=True)))
    return Structured("continuity_review", compiled(strict_schema(ContinuityReview)), grammar)
