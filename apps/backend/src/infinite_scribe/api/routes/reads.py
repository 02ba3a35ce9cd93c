"""Reading: the user's genesis sessions (GET /genesis/sessions) and a novel (GET /novels/{id})."""

from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Query, Response

from infinite_scribe.api.deps import CurrentUser, Services
from infinite_scribe.api.schemas.genesis import ErrorBody
from infinite_scribe.api.schemas.reads import NovelOut, SessionListOut
from infinite_scribe.application.reads import MAX_PAGE_SIZE
from shared_types.enums import GenesisStatus

sessions_router = APIRouter(prefix="/genesis/sessions", tags=["genesis"])
novels_router = APIRouter(prefix="/novels", tags=["novels"])

NOT_FOUND: dict[int | str, dict[str, Any]] = {
    404: {"model": ErrorBody, "description": "No such novel for this user"}
}


def _json(model: SessionListOut | NovelOut) -> Response:
    return Response(model.model_dump_json(), media_type="application/json")


@sessions_router.get("", response_model=SessionListOut)
async def list_sessions(
    user_id: CurrentUser,
    services: Services,
    status: Annotated[GenesisStatus | None, Query(description="Only sessions in this status")] = (
        None
    ),
    cursor: Annotated[
        str | None, Query(max_length=512, description="`next_cursor` of the previous page")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE)] = 20,
) -> Response:
    """The caller's sessions, newest first, not those in the trash (422 INVALID_CURSOR for a
    cursor this API did not hand out)."""
    page = await services.reads.sessions(user_id, status, cursor, limit)
    return _json(SessionListOut.of(page))


@novels_router.get("/{novel_id}", response_model=NovelOut, responses=NOT_FOUND)
async def get_novel(novel_id: UUID, user_id: CurrentUser, services: Services) -> Response:
    """A novel the caller owns (a finished genesis session creates one: its `novel_id`)."""
    return _json(NovelOut.of(await services.reads.novel(novel_id, user_id)))
