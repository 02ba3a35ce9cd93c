"""The live stream of a session (Server-Sent Events) and the tickets that open it
(docs/streaming.md)."""

from collections.abc import AsyncIterator
from typing import Annotated, Any
from urllib.parse import urlencode
from uuid import UUID

from fastapi import APIRouter, Header, Query, Request, Response
from fastapi.sse import EventSourceResponse, format_sse_event

from infinite_scribe.api.auth import bearer_token
from infinite_scribe.api.deps import CurrentUser, Services
from infinite_scribe.api.paths import API_PREFIX
from infinite_scribe.api.schemas.genesis import ErrorBody
from infinite_scribe.api.schemas.stream import StreamTicketOut, StreamTicketRequest
from infinite_scribe.api.stream_grant import StreamGrants
from infinite_scribe.application.live_stream import StreamItem
from infinite_scribe.application.ports.stream import Draft, StreamEvent, TaskProgress
from infinite_scribe.application.stream_hub import Signal
from infinite_scribe.domain.errors import InvalidPayload

router = APIRouter(prefix="/events", tags=["events"])

MAX_EVENT_ID = 2**63 - 1
KEEPALIVE = b": keep-alive\n\n"

_TICKET_ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorBody, "description": "Missing or invalid bearer token"},
    404: {"model": ErrorBody, "description": "No such session for this user"},
    422: {"model": ErrorBody, "description": "Invalid request"},
}
_STREAM_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {
        "description": (
            "`text/event-stream`: `domain_event` events (id = domain_events.id, data = the "
            "event envelope plus `id`), `task_progress` events (no id), `draft` events (no id: "
            "`task_id`, `sequence`, `text` so far, `stage`; ephemeral, docs/agents.md), "
            "keep-alive comments"
        ),
        "content": {"text/event-stream": {"schema": {"type": "string"}}},
    },
    401: {
        "model": ErrorBody,
        "description": "No credentials, or a ticket that is unknown, expired or already used",
    },
    404: {"model": ErrorBody, "description": "No such session for this user or ticket"},
    422: {"model": ErrorBody, "description": "Invalid context_id or Last-Event-ID"},
    503: {"model": ErrorBody, "description": "The stream feed is not open yet (retry)"},
}


@router.post(
    "/stream-tickets", status_code=201, response_model=StreamTicketOut, responses=_TICKET_ERRORS
)
async def create_stream_ticket(
    body: StreamTicketRequest, user_id: CurrentUser, services: Services
) -> StreamTicketOut:
    """A short-lived, single-use ticket that opens the stream of one of the user's sessions
    (for `EventSource`, which cannot send an Authorization header)."""
    issued = await services.live.issue_ticket(user_id, body.context_id)
    query = urlencode({"context_id": str(body.context_id), "ticket": issued.ticket})
    return StreamTicketOut(
        ticket=issued.ticket,
        context_id=body.context_id,
        expires_at=issued.expires_at,
        stream_url=f"{API_PREFIX}/events/stream?{query}",
    )


# Not `response_class=EventSourceResponse`: FastAPI would then drive the endpoint as a generator
# with its own fixed 15 s keep-alive; the route returns the response itself (docs/decisions).
@router.get("/stream", response_class=Response, responses=_STREAM_RESPONSES)
async def follow_session(
    request: Request,
    services: Services,
    context_id: Annotated[UUID, Query(description="the genesis session to follow")],
    ticket: Annotated[str | None, Query(min_length=1, max_length=128)] = None,
    last_event_id: Annotated[
        int | None, Query(ge=0, le=MAX_EVENT_ID, description="for clients without headers")
    ] = None,
    last_event_id_header: Annotated[
        str | None, Header(alias="Last-Event-ID", max_length=32)
    ] = None,
    authorization: Annotated[str | None, Header(include_in_schema=False)] = None,
) -> Response:
    """The session's domain events after `Last-Event-ID` (header, else `last_event_id`; none:
    from now on), then live, and its tasks' progress. Auth: `?ticket=` or a bearer token; the
    answer sets a stream grant cookie, so an EventSource's reconnect needs no new ticket."""
    settings = services.settings
    grants = StreamGrants(settings.jwt_secret_key.get_secret_value())
    # A reconnecting EventSource re-sends its spent ticket; its grant cookie lets it in.
    user_id = grants.user_of(request.cookies, context_id)
    if user_id is not None:
        ticket = None
    elif ticket is None:
        user_id = services.verified_tokens.user_id(bearer_token(authorization))
    user_id = await services.live.authorize(context_id, ticket=ticket, user_id=user_id)
    after = _last_event_id(last_event_id_header, last_event_id)
    items = services.live.follow(context_id, after)
    response = EventSourceResponse(
        _frames(items, settings.stream_retry_ms),
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )
    grants.attach(response, user_id, context_id, secure=request.url.scheme == "https")
    return response


def _last_event_id(header: str | None, query: int | None) -> int | None:
    if header is None or not header.strip():
        return query
    value = header.strip()
    if not value.isascii() or not value.isdigit() or int(value) > MAX_EVENT_ID:
        raise InvalidPayload("Last-Event-ID must be an event id (a non-negative integer)")
    return int(value)


async def _frames(items: AsyncIterator[StreamItem], retry_ms: int) -> AsyncIterator[bytes]:
    async for item in items:
        if item is Signal.OPENED:  # subscribed: everything from here on will be delivered
            yield format_sse_event(comment="stream open", retry=retry_ms)
        elif item is Signal.IDLE:
            yield KEEPALIVE
        elif isinstance(item, StreamEvent):
            yield b"id: %d\nevent: domain_event\ndata: %b\n\n" % (item.id, item.data)
        elif isinstance(item, TaskProgress):
            yield b"event: task_progress\ndata: %b\n\n" % item.data
        elif isinstance(item, Draft):
            yield b"event: draft\ndata: %b\n\n" % item.data
