"""Who is acting and which request they sent: the source of every event's metadata."""

from dataclasses import dataclass
from uuid import UUID

from shared_types import EventMetadata

SOURCE_SERVICE = "api"


@dataclass(frozen=True)
class RequestContext:
    user_id: UUID
    request_id: str | None = None
    traceparent: str | None = None
    source_service: str = SOURCE_SERVICE
    #: The paused flow this request answers (POST /flows/{id}/resume); the command must resume
    #: exactly that one (application/flow_replies.py).
    resumes_flow: str | None = None

    def metadata(self) -> EventMetadata:
        return EventMetadata(
            user_id=str(self.user_id),
            source_service=self.source_service,
            request_id=self.request_id,
            traceparent=self.traceparent,
        )
