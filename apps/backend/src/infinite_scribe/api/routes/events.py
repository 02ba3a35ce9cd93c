"""Event chains: every event of one business flow (correlation id), in commit order."""

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Query, Response

from infinite_scribe.api.deps import CurrentUser, Services
from infinite_scribe.api.routes.genesis import ERRORS, CursorQuery, event_page, json_response
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
    rows = await services.sessions.flow_events(correlation_id, user_id, after, limit)
    next_after = rows[-1]["id"] if len(rows) == limit else None
    return json_response(event_page(rows, next_after), 200)
