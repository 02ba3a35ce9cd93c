"""Reading: the user's genesis sessions (GET /genesis/sessions); novels are in novels.py."""

from typing import Annotated

from fastapi import APIRouter, Query, Response

from infinite_scribe.api.deps import CurrentUser, Services
from infinite_scribe.api.routes.common import CursorQuery
from infinite_scribe.api.schemas.reads import SessionListOut
from infinite_scribe.application.reads import MAX_PAGE_SIZE
from shared_types.enums import GenesisStatus

sessions_router = APIRouter(prefix="/genesis/sessions", tags=["genesis"])


def _json(model: SessionListOut) -> Response:
    return Response(model.model_dump_json(), media_type="application/json")


@sessions_router.get("", response_model=SessionListOut)
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
    return _json(SessionListOut.of(page))
