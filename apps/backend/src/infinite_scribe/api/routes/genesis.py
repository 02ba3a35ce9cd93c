"""Genesis sessions: create, list, read state, send commands, list events
(docs/command-api.md)."""

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Body, Query, Response

from infinite_scribe.api.deps import CurrentUser, Services
from infinite_scribe.api.parsed_json import ParsedJsonRoute
from infinite_scribe.api.routes.common import (
    ERRORS,
    CallerDep,
    CommandKey,
    CursorQuery,
    command_responses,
    json_response,
    lines_response,
    sent,
)
from infinite_scribe.api.schemas.commands import COMMAND_EXAMPLES, CommandRequest
from infinite_scribe.api.schemas.genesis import (
    CommandReply,
    CreateSessionRequest,
    EventPage,
    SessionCreated,
    SessionStateOut,
)
from infinite_scribe.api.schemas.reads import SessionListOut
from infinite_scribe.application.reads import MAX_PAGE_SIZE, decode_sequence
from shared_types.enums import GenesisStatus

router = APIRouter(prefix="/genesis/sessions", tags=["genesis"], route_class=ParsedJsonRoute)


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
    responses=command_responses(
        ERRORS,
        "DUPLICATE_COMMAND (same type still pending), INVALID_STATE (not allowed in this "
        "stage/status), VERSION_CONFLICT (`expected_version` is not the session's), "
        "GENERATION_PENDING (a rollback while the agents write) or CONCURRENCY_CONFLICT",
    ),
)
async def send_command(
    session_id: UUID,
    command: Annotated[CommandRequest, Body(openapi_examples=COMMAND_EXAMPLES)],
    call: CallerDep,
    key: CommandKey,
) -> Response:
    """Send a command; 202 RECEIVED for async commands, 200 COMPLETED for sync ones."""
    return await sent(call, session_id, (command.command_type, command.payload), key)


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


@router.get("", response_model=SessionListOut)
async def list_sessions(
    user_id: CurrentUser,
    services: Services,
    status: Annotated[GenesisStatus | None, Query(description="Only sessions in this status")] = (
        None
    ),
    cursor: CursorQuery = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE)] = 20,
) -> Response:
    """The caller's sessions, newest first, not those in the trash (422 INVALID_CURSOR for a
    cursor this API did not hand out)."""
    page = await services.reads.sessions(user_id, status, cursor, limit)
    return Response(SessionListOut.of(page).model_dump_json(), media_type="application/json")
