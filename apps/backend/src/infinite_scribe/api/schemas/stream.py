"""Bodies of the live stream routes (the stream itself is `text/event-stream`)."""

from datetime import datetime
from uuid import UUID

from pydantic import BaseModel, ConfigDict

from shared_types import EventEnvelope
from shared_types.enums import TaskStatus


class StreamTicketRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    #: The genesis session the ticket opens.
    context_id: UUID


class StreamTicketOut(BaseModel):
    ticket: str
    context_id: UUID
    expires_at: datetime
    #: The stream URL to open with this ticket (relative to the API root).
    stream_url: str


class DomainEventData(EventEnvelope):
    """`event: domain_event`: a committed domain event of the session: its envelope (as on
    Kafka) plus `id`, the global position, which is also the SSE `id:` (Last-Event-ID)."""

    id: int


class TaskProgressData(BaseModel):
    """`event: task_progress`: a task's latest status and progress (state, not history: no SSE
    `id:`, and a repeat may be skipped)."""

    task_id: UUID
    session_id: UUID
    task_type: str
    status: TaskStatus
    progress: float
    message: str | None
    correlation_id: UUID | None
    updated_at: datetime


class DraftData(BaseModel):
    """`event: draft`: what the model has written so far for one of the session's tasks, while
    it writes (at most about 5 a second per generation). Ephemeral: no SSE `id:`, never
    replayed, not a domain event; a client that connects mid-generation gets the latest one at
    once, and the final proposal still arrives as its `domain_event`."""

    task_id: UUID
    session_id: UUID
    #: 1, 2, ... per task: a client keeps the highest (drafts may be skipped, never reordered).
    sequence: int
    stage: str
    #: The whole text so far (not a delta): the latest draft replaces the ones before it.
    text: str
    #: When the worker sent it (Unix seconds), for the first-draft latency.
    sent_at: float


#: Every `event:` name the stream sends and the model of its `data:` (JSON). The OpenAPI
#: document shows this catalogue (api/docs.py); a new event type is one more row here.
STREAM_EVENTS: dict[str, type[BaseModel]] = {
    "domain_event": DomainEventData,
    "task_progress": TaskProgressData,
    "draft": DraftData,
}
