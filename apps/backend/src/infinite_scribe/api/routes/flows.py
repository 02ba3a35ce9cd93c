"""Paused flows: read a flow's resume handle, resume it with the writer's reply (docs/flows.md)."""

from typing import Any
from uuid import UUID

from fastapi import APIRouter, Response

from infinite_scribe.api.command_route import answer
from infinite_scribe.api.parsed_json import ParsedJsonRoute
from infinite_scribe.api.routes.common import CallerDep, CommandKey, json_response
from infinite_scribe.api.schemas.errors import error_answer
from infinite_scribe.api.schemas.flows import FlowOut, ResumeReply, ResumeRequest
from infinite_scribe.api.schemas.genesis import DuplicateCommandBody, ErrorBody

router = APIRouter(prefix="/flows", tags=["flows"], route_class=ParsedJsonRoute)

_CONFLICT = (
    "FLOW_HANDLE_EXPIRED (also a waiting flow past its expires_at), FLOW_ALREADY_RESUMED, "
    "or the reply command's own 409s (DUPLICATE_COMMAND, INVALID_STATE)"
)
ERRORS: dict[int | str, dict[str, Any]] = {
    422: error_answer("Invalid request"),
}


@router.get(
    "/{correlation_id}",
    response_model=FlowOut,
    responses={
        **ERRORS,
        404: error_answer("No handle for this flow among the user's"),
    },
)
async def flow(correlation_id: UUID, call: CallerDep) -> Response:
    """The flow's resume handle (its waiting one, else the newest)."""
    handle = await call.services.flows.view(correlation_id, call.context.user_id)
    return json_response(FlowOut.of(handle).model_dump(mode="json"), 200)


@router.post(
    "/{correlation_id}/resume",
    status_code=202,
    response_model=ResumeReply,
    responses={
        **ERRORS,
        200: {"model": ResumeReply, "description": "Resumed with a sync command (ConfirmStage)"},
        404: error_answer(
            "No handle for this flow among the user's (as GET), or its session "
            "is gone or in the trash"
        ),
        409: {"model": ErrorBody | DuplicateCommandBody, "description": _CONFLICT},
    },
)
async def resume(
    correlation_id: UUID,
    body: ResumeRequest,
    call: CallerDep,
    key: CommandKey,
) -> Response:
    """Resume a paused flow with the writer's reply: SubmitFeedback (202, a new generation) or
    ConfirmStage (200). A reply that arrives before the pause has landed is kept and consumed
    when it lands; the flow is resumed once."""
    result, handle = await call.services.flows.resume(
        call.context, correlation_id, body.command_type, body.payload, key
    )
    stored = answer(result, {"flow": FlowOut.of(handle).model_dump(mode="json")})
    return Response(stored.body, stored.status, headers=dict(stored.headers))
