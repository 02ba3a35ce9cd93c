"""Event type -> payload model: the registry `scribe schema export` publishes for consumers.

These are the genesis session events of DESIGN section 3 as first, permissive models (extra
fields allowed); the genesis command handlers own the exact payloads and replace them here.
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
    stage: GenesisStage = GenesisStage.CONCEPT_SELECTION


class ConceptGenerationRequested(EventPayload):
    stage: GenesisStage = GenesisStage.CONCEPT_SELECTION
    parameters: dict[str, Any] = Field(default_factory=dict)


class StageGenerationRequested(EventPayload):
    stage: GenesisStage
    parameters: dict[str, Any] = Field(default_factory=dict)


class FeedbackSubmitted(EventPayload):
    stage: GenesisStage
    feedback: str


class StageConfirmed(EventPayload):
    stage: GenesisStage
    next_stage: GenesisStage | None = None
    confirmed_data: dict[str, Any] = Field(default_factory=dict)


class SessionFinished(EventPayload):
    novel_id: UUID


class SessionAbandoned(EventPayload):
    reason: str | None = None


#: (event_type, event_version) -> the payload model; a breaking change adds a new version.
EVENT_PAYLOADS: dict[tuple[str, int], type[EventPayload]] = {
    ("Genesis.Session.Created", 1): SessionCreated,
    ("Genesis.Session.ConceptGenerationRequested", 1): ConceptGenerationRequested,
    ("Genesis.Session.StageGenerationRequested", 1): StageGenerationRequested,
    ("Genesis.Session.FeedbackSubmitted", 1): FeedbackSubmitted,
    ("Genesis.Session.StageConfirmed", 1): StageConfirmed,
    ("Genesis.Session.Finished", 1): SessionFinished,
    ("Genesis.Session.Abandoned", 1): SessionAbandoned,
}
