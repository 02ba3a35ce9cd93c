"""Genesis sessions: create, read state, send commands, list events (docs/command-api.md)."""

from dataclasses import dataclass
from typing import Annotated, Any
from uuid import UUID

import orjson
from fastapi import APIRouter, Body, Depends, Header, Query, Request, Response

from infinite_scribe.api.command_route import command_reply
from infinite_scribe.api.container import ApiServices
from infinite_scribe.api.deps import CurrentUser, services_of
from infinite_scribe.api.middleware.idempotency import INLINE_KEY, InlineKey
from infinite_scribe.api.middleware.idempotency_replies import Reply
from infinite_scribe.api.parsed_json import ParsedJsonRoute
from infinite_scribe.api.schemas.commands import COMMAND_EXAMPLES
from infinite_scribe.api.schemas.genesis import (
    CommandReply,
    CommandRequest,
    CreateSessionRequest,
    DuplicateCommandBody,
    ErrorBody,
    EventPage,
    SessionCreated,
    SessionStateOut,
)
from infinite_scribe.application.context import RequestContext
from infinite_scribe.application.ports.genesis import EventLines
from infinite_scribe.application.reads import decode_sequence, encode_sequence

router = APIRouter(prefix="/genesis/sessions", tags=["genesis"], route_class=ParsedJsonRoute)

ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorBody, "description": "Missing or invalid bearer token"},
    404: {"model": ErrorBody, "description": "No such session for this user"},
    422: {"model": ErrorBody, "description": "Invalid request"},
}
_KEY = {"max_length": 255, "pattern": r"^[\x20-\x7e]+$"}  # as valid_key
# One key header in the document: it cannot say "one of the two", and a client that sent both
# (as a schema listing both allows) got a 400 (issue 21). X-Idempotency-Key is still read, as
# the same header under its older name.
IdempotencyKey = Annotated[
    str | None, Header(alias="X-Idempotency-Key", include_in_schema=False, **_KEY)
]
StandardIdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        description="Makes the request idempotent (docs/idempotency.md). `X-Idempotency-Key` "
        "is the same header under its older name; send one of the two (both: 400)",
        **_KEY,
    ),
]


@dataclass(frozen=True)
class Caller:
    """What every genesis route needs, resolved by one dependency (each FastAPI dependency
    costs measurable CPU per request): the app's services and who is acting."""

    services: ApiServices
    context: RequestContext
    #: A keyed request whose answer this route stores with its write
    #: (api/middleware/idempotency.py).
    inline_key: InlineKey | None = None


async def caller(request: Request, user_id: CurrentUser) -> Caller:
    state = request.state
    return Caller(
        services=services_of(request.app),
        context=RequestContext(
            user_id=user_id,
            request_id=getattr(state, "request_id", None),
            traceparent=getattr(state, "traceparent", None),
        ),
        inline_key=getattr(state, INLINE_KEY, None),
    )


CallerDep = Annotated[Caller, Depends(caller)]


def json_response(body: dict[str, Any], status_code: int) -> Response:
    return Response(orjson.dumps(body), status_code=status_code, media_type="application/json")


@router.post("", status_code=201, response_model=SessionCreated, responses=ERRORS)
async def create_session(call: CallerDep, body: CreateSessionRequest | None = None) -> Response:
    """Open a genesis session (appends `Genesis.Session.Created`)."""
    initial = body.initial_user_input if body else None
    state, event = await call.services.sessions.create(call.context, initial)
    reply = {
        "session_id": str(state.session_id),
        "status": state.status.value,
        "current_stage": state.current_stage.value,
        "version": state.version,
        "correlation_id": str(event.correlation_id),
    }
    return json_response(reply, 201)


@router.get("/{session_id}/state", response_model=SessionStateOut, responses=ERRORS)
async def session_state(session_id: UUID, call: CallerDep) -> Response:
    """The session snapshot (a trashed session stays readable: `trashed` says so)."""
    snapshot = await call.services.sessions.snapshot(session_id, call.context.user_id)
    body = SessionStateOut.of(snapshot.state, snapshot.trashed_at).model_dump(mode="json")
    return json_response(body, 200)


@router.post(
    "/{session_id}/commands",
    status_code=202,
    response_model=CommandReply,
    responses={
        **ERRORS,
        202: {"description": "Async command received; follow `task_id` (also `Location`)"},
        200: {"model": CommandReply, "description": "Sync command completed"},
        409: {
            "model": DuplicateCommandBody | ErrorBody,
            "description": "DUPLICATE_COMMAND (same type still pending), INVALID_STATE (not "
            "allowed in this stage/status), VERSION_CONFLICT (`expected_version` is not the "
            "session's), GENERATION_PENDING (a rollback while the agents write) or "
            "CONCURRENCY_CONFLICT",
        },
    },
)
async def send_command(
    session_id: UUID,
    command: Annotated[CommandRequest, Body(openapi_examples=COMMAND_EXAMPLES)],
    call: CallerDep,
    idempotency_key: IdempotencyKey = None,
    standard_idempotency_key: StandardIdempotencyKey = None,
) -> Response:
    """Send a command; 202 RECEIVED for async commands, 200 COMPLETED for sync ones."""
    # Well-formed commands are answered before routing (api/command_route.py); this route
    # answers the rest, and documents the endpoint.
    key = idempotency_key or standard_idempotency_key
    return raw_response(
        await command_reply(
            call.services,
            call.context,
            session_id,
            (command.command_type, command.payload),
            key,
            call.inline_key,
        )
    )


def raw_response(reply: Reply) -> Response:
    status, headers, body = reply
    return Response(body, status, headers={k.decode(): v.decode() for k, v in headers})


#: Every list pages the same way: `cursor` in, `next_cursor` out (application/reads.py).
CursorQuery = Annotated[
    str | None, Query(max_length=512, description="`next_cursor` of the previous page")
]


@router.get("/{session_id}/events", response_model=EventPage, responses=ERRORS)
async def session_events(
    session_id: UUID,
    call: CallerDep,
    cursor: CursorQuery = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> Response:
    """The session's domain events in order, `limit` at a time (422 INVALID_CURSOR for a
    cursor this API did not hand out)."""
    user_id = call.context.user_id
    after = decode_sequence(cursor, 2**31 - 1) if cursor else 0
    page = await call.services.sessions.event_lines(session_id, user_id, after, limit)
    return lines_response(page)


def lines_response(page: EventLines) -> Response:
    """An `EventPage` from the store's JSON texts: joined, never parsed (issue 49)."""
    cursor = None if page.next_after is None else encode_sequence(page.next_after)
    events = ",".join(page.lines).encode()
    body = b'{"events":[' + events + b'],"next_cursor":' + orjson.dumps(cursor) + b"}"
    return Response(body, status_code=200, media_type="application/json")
