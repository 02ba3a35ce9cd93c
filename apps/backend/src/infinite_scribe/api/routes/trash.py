"""The trash: trash, restore and purge a genesis session; list the trash and the live sessions
(docs/trash.md)."""

from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Query, Response

from infinite_scribe.api.routes.common import ERRORS, CallerDep, CursorQuery, json_response
from infinite_scribe.api.schemas.errors import error_answer
from infinite_scribe.api.schemas.trash import PurgeReply, TrashedSessionOut, TrashList, TrashReply

router = APIRouter(tags=["trash"])

_CONFLICT: dict[int | str, dict[str, Any]] = {
    409: error_answer("SESSION_NOT_TRASHED (purge outside the trash) or CONCURRENCY_CONFLICT")
}
Limit = Annotated[int, Query(ge=1, le=100)]


@router.post(
    "/genesis/sessions/{session_id}/trash",
    response_model=TrashReply,
    responses={**ERRORS, **_CONFLICT},
)
async def trash_session(session_id: UUID, call: CallerDep) -> Response:
    """Move the session to the trash (`Genesis.Session.Trashed`); already there: no change.
    A trashed session refuses commands (409 SESSION_TRASHED) but its state stays readable."""
    outcome = await call.services.trash.trash(call.context, session_id)
    return json_response(TrashReply.of(outcome).model_dump(mode="json"), 200)


@router.post(
    "/genesis/sessions/{session_id}/restore",
    response_model=TrashReply,
    responses={**ERRORS, **_CONFLICT},
)
async def restore_session(session_id: UUID, call: CallerDep) -> Response:
    """Bring the session back from the trash exactly as it was (`Genesis.Session.Restored`);
    not in the trash: no change."""
    outcome = await call.services.trash.restore(call.context, session_id)
    return json_response(TrashReply.of(outcome).model_dump(mode="json"), 200)


@router.delete(
    "/genesis/sessions/{session_id}",
    response_model=PurgeReply,
    responses={**ERRORS, **_CONFLICT},
)
async def purge_session(session_id: UUID, call: CallerDep) -> Response:
    """Purge a trashed session for good: its rows go, its events' payloads are erased, and
    `Genesis.Session.Purged` is the tombstone. Only from the trash (else 409
    SESSION_NOT_TRASHED); repeating it answers 200 with `changed: false`."""
    outcome = await call.services.trash.purge(call.context, session_id)
    return json_response(PurgeReply.of(outcome).model_dump(mode="json"), 200)


@router.get("/trash", response_model=TrashList, responses=ERRORS)
async def list_trash(call: CallerDep, cursor: CursorQuery = None, limit: Limit = 20) -> Response:
    """The user's trashed sessions, most recently trashed first (422 INVALID_CURSOR for a
    cursor this API did not hand out)."""
    items, next_cursor = await call.services.trash.list_trash(call.context.user_id, cursor, limit)
    body = {
        "items": [TrashedSessionOut.of(item).model_dump(mode="json") for item in items],
        "next_cursor": next_cursor,
    }
    return json_response(body, 200)
