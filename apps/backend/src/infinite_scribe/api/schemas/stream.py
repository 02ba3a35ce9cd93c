"""Bodies of the live stream routes (the stream itself is `text/event-stream`)."""

from datetime import datetime
from uuid import UUID

from pydantic import BaseModel, ConfigDict


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
