"""Event type -> payload model: the registry `scribe schema export` publishes for consumers.

These are the payloads the genesis stage machine emits (a unit test decides every command and
checks each payload against its model, so the two cannot drift). Unknown fields are allowed so
an older consumer keeps reading a newer producer's payload.
"""

from typing import Any
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from shared_types.enums import GenesisStage


class EventPayload(BaseModel):
    """Base of every payload: unknown fields are kept (a newer producer may add some)."""

    model_config = ConfigDict(extra="allow")


class SessionCreated(EventPayload):
    user_id: UUID
    initial_user_input: dict[str, Any] = Field(default_factory=dict)


class ConceptGenerationRequested(EventPayload):
    stage: GenesisStage = GenesisStage.CONCEPT_SELECTION
    user_input: str | None = None
    preferences: dict[str, Any] = Field(default_factory=dict)
    theme_preferences: list[str] = Field(default_factory=list)
    style_preferences: list[str] = Field(default_factory=list)


class StageGenerationRequested(EventPayload):
    stage: GenesisStage
    preferences: dict[str, Any] = Field(default_factory=dict)


class FeedbackSubmitted(EventPayload):
    stage: GenesisStage
    feedback: str
    details: dict[str, Any] = Field(default_factory=dict)


class StageConfirmed(EventPayload):
    stage: GenesisStage
    data: dict[str, Any] = Field(default_factory=dict)
    next_stage: GenesisStage


class SessionFinished(EventPayload):
    novel_id: UUID


class SessionAbandoned(EventPayload):
    stage: GenesisStage
    reason: str | None = None


class ProposalMade(EventPayload):
    """An agent's proposal for `stage` (written by the agent worker, not decided by a command)."""

    stage: GenesisStage
    result: dict[str, Any]
    task_id: UUID
    command_id: UUID
    provider: str
    revision: bool = False


class GenerationFailed(EventPayload):
    """A generation that failed for good (after its retries); the writer may ask again."""

    stage: GenesisStage
    task_id: UUID
    command_id: UUID
    error_code: str
    error: str
    attempts: int


#: (event_type, event_version) -> the payload model; a breaking change adds a new version.
EVENT_PAYLOADS: dict[tuple[str, int], type[EventPayload]] = {
    ("Genesis.Session.Created", 1): SessionCreated,
    ("Genesis.Session.ConceptGenerationRequested", 1): ConceptGenerationRequested,
    ("Genesis.Session.StageGenerationRequested", 1): StageGenerationRequested,
    ("Genesis.Session.FeedbackSubmitted", 1): FeedbackSubmitted,
    ("Genesis.Session.StageConfirmed", 1): StageConfirmed,
    ("Genesis.Session.Finished", 1): SessionFinished,
    ("Genesis.Session.Abandoned", 1): SessionAbandoned,
    ("Genesis.Session.Concept.Proposed", 1): ProposalMade,
    ("Genesis.Session.StageContent.Proposed", 1): ProposalMade,
    ("Genesis.Session.ConceptGeneration.Failed", 1): GenerationFailed,
    ("Genesis.Session.StageGeneration.Failed", 1): GenerationFailed,
}
