"""Event chains: every event of one business flow (correlation id), in commit order."""

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Query, Response

from infinite_scribe.api.deps import CurrentUser, Services
from infinite_scribe.api.routes.common import ERRORS, CursorQuery, lines_response
from infinite_scribe.api.schemas.genesis import EventPage
from infinite_scribe.application.reads import decode_sequence

router = APIRouter(prefix="/events", tags=["events"])


@router.get("", response_model=EventPage, responses=ERRORS)
async def events_by_correlation(
    correlation_id: UUID,
    user_id: CurrentUser,
    services: Services,
    cursor: CursorQuery = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> Response:
    """The user's events of one flow in commit order, `limit` at a time (422 INVALID_CURSOR
    for a cursor this API did not hand out)."""
    after = decode_sequence(cursor) if cursor else 0
    page = await services.sessions.flow_event_lines(correlation_id, user_id, after, limit)
    return lines_response(page)
