"""The live stream of a session (Server-Sent Events) and the tickets that open it
(docs/streaming.md)."""

import time
from collections.abc import AsyncIterator, Callable
from typing import Annotated, Any
from urllib.parse import urlencode
from uuid import UUID

from fastapi import APIRouter, Header, Query, Request, Response
from fastapi.sse import EventSourceResponse, format_sse_event
from starlette.background import BackgroundTask

from infinite_scribe.api.auth import bearer_token
from infinite_scribe.api.container import ApiServices
from infinite_scribe.api.deps import CurrentUser, Services
from infinite_scribe.api.parsed_json import ParsedJsonRoute
from infinite_scribe.api.paths import API_PREFIX
from infinite_scribe.api.schemas.errors import error_answer
from infinite_scribe.api.schemas.stream import StreamTicketOut, StreamTicketRequest
from infinite_scribe.api.stream_admission import Refused, StreamPlace
from infinite_scribe.api.stream_grant import StreamGrants
from infinite_scribe.application.live_stream import StreamItem
from infinite_scribe.application.ports.stream import Draft, Follower, StreamEvent, TaskProgress
from infinite_scribe.application.stream_hub import Signal
from infinite_scribe.domain.errors import InvalidPayload

router = APIRouter(prefix="/events", tags=["events"], route_class=ParsedJsonRoute)

MAX_EVENT_ID = 2**63 - 1
KEEPALIVE = b": keep-alive\n\n"

_TICKET_ERRORS: dict[int | str, dict[str, Any]] = {
    404: error_answer("No such session for this user"),
    409: error_answer("SESSION_TRASHED: the session (or the novel's session) is in the trash"),
    422: error_answer("Invalid request"),
    429: error_answer("STREAM_TICKETS_PER_MINUTE reached (Retry-After)"),
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
    401: error_answer("No credentials, or a ticket that is unknown, expired or already used"),
    404: error_answer("No such session for this user or ticket"),
    422: error_answer("Invalid context_id or Last-Event-ID"),
    429: error_answer("STREAM_MAX_PER_USER or the process's stream limit reached (Retry-After)"),
    503: error_answer("The stream feed is not open yet (retry)"),
}


@router.post(
    "/stream-tickets", status_code=201, response_model=StreamTicketOut, responses=_TICKET_ERRORS
)
async def create_stream_ticket(
    body: StreamTicketRequest,
    user_id: CurrentUser,
    services: Services,
    authorization: Annotated[str | None, Header(include_in_schema=False)] = None,
) -> StreamTicketOut | Response:
    """A short-lived, single-use ticket that opens the stream of one of the user's sessions
    (for `EventSource`, which cannot send an Authorization header)."""
    try:
        services.stream_admission.mint(user_id)
    except Refused as refused:
        return refused.response()
    follower = Follower(*services.verified_tokens.verify(bearer_token(authorization)))
    issued = await services.live.issue_ticket(follower, body.context_id)
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
    follower = grants.follower_of(request.cookies, context_id)
    if follower is not None:
        ticket = None
    elif ticket is None:
        follower = Follower(*services.verified_tokens.verify(bearer_token(authorization)))
    follower = await services.live.authorize(context_id, ticket=ticket, follower=follower)
    after = resume_point(last_event_id_header, last_event_id)
    response = admitted_stream(services, follower, lambda: services.live.follow(context_id, after))
    grants.attach(response, follower, context_id, secure=request.url.scheme == "https")
    return response


def admitted_stream(
    services: ApiServices, follower: Follower, follow: Callable[[], AsyncIterator[StreamItem]]
) -> Response:
    """The stream `follow()` gives, as Server-Sent Events, if the stream limits admit one more
    for the follower (api/stream_admission.py), else their 429; it ends when the follower's
    token expires. The console's stream uses it too."""
    try:
        place = services.stream_admission.admit(follower.user_id)
    except Refused as refused:
        return refused.response()
    return EventSourceResponse(
        _frames(follow(), services.settings.stream_retry_ms, place, follower.until),
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
        background=BackgroundTask(place.release),  # also when the stream never started
    )


def resume_point(header: str | None, query: int | None) -> int | None:
    """Where a stream resumes: the `Last-Event-ID` header's event id, else the query's (the
    console's streams read it too)."""
    if header is None or not header.strip():
        return query
    value = header.strip()
    if not value.isascii() or not value.isdigit() or int(value) > MAX_EVENT_ID:
        raise InvalidPayload("Last-Event-ID must be an event id (a non-negative integer)")
    return int(value)


async def _frames(
    items: AsyncIterator[StreamItem], retry_ms: int, place: StreamPlace, until: float
) -> AsyncIterator[bytes]:
    try:
        async for item in _frames_of(items, retry_ms):
            # The token that opened the stream has expired: the access it gave ends (checked
            # at every item, keep-alives included, so within STREAM_KEEPALIVE_SECONDS).
            if time.time() >= until:
                return
            yield item
    finally:
        place.release()


async def _frames_of(items: AsyncIterator[StreamItem], retry_ms: int) -> AsyncIterator[bytes]:
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
