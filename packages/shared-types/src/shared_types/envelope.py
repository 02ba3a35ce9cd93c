"""The event envelope: the Kafka message value of every domain event, and how causes chain."""

from datetime import UTC, datetime
from typing import Any
from uuid import UUID, uuid4

from pydantic import BaseModel, ConfigDict, Field, model_validator


class EventMetadata(BaseModel):
    """Who and what produced an event; extra keys are kept for forward compatibility."""

    model_config = ConfigDict(extra="allow")

    user_id: str | None = None
    source_service: str | None = None
    request_id: str | None = None
    traceparent: str | None = None


class EventEnvelope(BaseModel):
    """A domain event as published to Kafka (value JSON) and read by every consumer."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    event_id: UUID = Field(default_factory=uuid4)
    event_type: str
    event_version: int = Field(default=1, ge=1)
    aggregate_type: str
    aggregate_id: str
    aggregate_version: int | None = Field(default=None, ge=1)
    actor_id: str | None = None
    occurred_at: datetime = Field(default_factory=lambda: datetime.now(UTC))
    correlation_id: UUID | None = None
    causation_id: UUID | None = None
    payload: dict[str, Any] = Field(default_factory=dict)
    metadata: EventMetadata = Field(default_factory=EventMetadata)

    @model_validator(mode="after")
    def _actor_defaults_to_the_user(self) -> "EventEnvelope":
        # The actor is the acting user unless said otherwise (an agent, a system job), so an
        # envelope rebuilt from the stored metadata is identical to the one first published.
        if self.actor_id is None and self.metadata.user_id is not None:
            object.__setattr__(self, "actor_id", self.metadata.user_id)
        return self

    def caused(
        self,
        event_type: str,
        *,
        aggregate_type: str | None = None,
        aggregate_id: str | None = None,
        payload: dict[str, Any] | None = None,
        source_service: str | None = None,
    ) -> "EventEnvelope":
        """Build an event caused by this one: same flow (correlation), this event as its cause."""
        metadata = self.metadata.model_copy(
            update={"source_service": source_service or self.metadata.source_service}
        )
        return EventEnvelope(
            event_type=event_type,
            aggregate_type=aggregate_type or self.aggregate_type,
            aggregate_id=aggregate_id or self.aggregate_id,
            actor_id=self.actor_id,
            correlation_id=self.correlation_id or self.event_id,
            causation_id=self.event_id,
            payload=payload or {},
            metadata=metadata,
        )
