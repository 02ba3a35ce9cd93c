"""The history of a session, its branches and where proposals came from, as OpenAPI shows
them (issue 37, docs/command-api.md "History, rollback, branches")."""

from datetime import datetime
from typing import Any, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from infinite_scribe.domain.commands import ModelName, Text
from shared_types.enums import GenesisStage


class BranchOrigin(BaseModel):
    """Where a branch started: the source session and the version (event) it left from."""

    session_id: UUID
    event_id: UUID
    title: str | None = None


class BranchRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    #: A version of the source session (an `event_id` of its history).
    at_event_id: UUID
    #: The branch's working title until a title is confirmed.
    title: Text | None = Field(default=None, min_length=1, max_length=200)


class BranchCreated(BaseModel):
    session_id: UUID
    branched_from: BranchOrigin
    current_stage: GenesisStage
    version: int


class Change(BaseModel):
    """One field that differs from the stage's previous version."""

    path: str = Field(examples=["characters[0].name"])
    before: Any = None
    after: Any = None


class Provenance(BaseModel):
    """Where a proposal came from (null fields: the provider or an older event does not say)."""

    provider: str | None
    model: str | None
    prompt_version: str | None
    #: Event ids the prompt used: confirmed stages, the feedback, the writer's wishes.
    inputs: list[str]
    tokens_in: int | None
    tokens_out: int | None
    #: The prompt's tokens as counted before it was sent (the engine's tokenizer, or an
    #: estimate on the safe side), to compare with `tokens_in`, the server's (issue 68).
    tokens_counted: int | None = None
    #: Of `tokens_in`, those the server reused from the request before (its prompt cache:
    #: `usage.prompt_tokens_details.cached_tokens`), and those it evaluated (issue 77).
    tokens_cached: int | None = None
    tokens_evaluated: int | None = None
    #: Reply tokens per second of the model's writing.
    tokens_per_second: float | None = None
    latency_ms: float | None
    attempts: int | None
    #: A regeneration's: the proposal generated again, from the same inputs (issue 55).
    replay_of: UUID | None = None


class Confirmation(BaseModel):
    """How the writer took the proposal: as it was, one of its options, or edited."""

    how: Literal["as_proposed", "choice", "edited"]
    choice: int | None = None
    #: The paths the writer changed against the chosen option (or the proposal).
    edited: list[str] = Field(default_factory=list)


class VersionOut(BaseModel):
    event_id: UUID
    event_type: str
    kind: Literal["proposed", "revised", "confirmed", "edited", "rolled_back", "branched"]
    at: datetime
    #: The session whose log holds it (a branch shows its origin's versions before its own).
    session_id: UUID
    #: The version's full content: what the writer saw, or confirmed.
    content: dict[str, Any]
    #: What differs from the stage's previous version ([] for a first version).
    changes: list[Change]
    #: On proposals; null otherwise.
    provenance: Provenance | None
    #: `revised`: the feedback that asked for it.
    feedback: str | None = None
    #: `confirmed` / `edited`: how the proposal was taken.
    confirmation: Confirmation | None = None
    #: `rolled_back` / `branched`: the version gone back to, and the stage the session was at.
    target_event_id: UUID | None = None
    restored_stage: GenesisStage | None = None
    #: `branched`: the source session and version.
    branched_from: BranchOrigin | None = None


class RegenerateRequest(BaseModel):
    """Generate a proposal again from its recorded inputs with `model` (issue 55)."""

    model_config = ConfigDict(extra="forbid")

    #: "offline" (the built-in generator) or the configured model (`LLM_MODEL`).
    model: ModelName


class PromptOut(BaseModel):
    """What a proposal was generated from (issue 55): the request as the provider got it and
    the chat messages sent to the model, as they were (null: the offline generator sends
    none, or an outline written in batches)."""

    session_id: UUID
    event_id: UUID
    #: The stage, the confirmed stages before it, the writer's wishes, a revision's feedback
    #: and the proposal it revised.
    request: dict[str, Any]
    messages: list[dict[str, str]] | None


class EstimateOut(BaseModel):
    """What the next generation of the session's stage will cost, before it runs (issue 55):
    tokens by about four characters of English or one Chinese character each, from the last
    prompt sent for the session; the history shows the model's own counts after."""

    session_id: UUID
    stage: GenesisStage
    #: The configured model (null: the offline generator, which costs nothing).
    model: str | None
    tokens_in: int
    tokens_out: int
    #: In the currency of `LLM_PRICE_*_PER_MILLION`; null when no price is set.
    cost: float | None
    basis: str


class StageVersions(BaseModel):
    stage: GenesisStage
    versions: list[VersionOut]


class HistoryOut(BaseModel):
    """One page of versions (the newest first), by stage in Genesis order, each oldest first."""

    session_id: UUID
    stages: list[StageVersions]
    #: `?before=` of the next (older) page; null: this page holds the session's first version.
    next_before: str | None = Field(default=None, examples=["0.118"])
