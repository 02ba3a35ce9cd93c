"""Events: every event of one business flow (correlation id), in commit order; the causation
tree of one event (docs/flows.md)."""

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Query, Response

from infinite_scribe.api.deps import CurrentUser, Services
from infinite_scribe.api.routes.common import (
    ERRORS,
    CallerDep,
    CursorQuery,
    json_response,
    lines_response,
)
from infinite_scribe.api.schemas.flows import EventChainOut
from infinite_scribe.api.schemas.genesis import EventOut, EventPage
from infinite_scribe.application.reads import decode_sequence

router = APIRouter(prefix="/events", tags=["events"])
#: Included after the flows' routes: the document lists its path where it always has.
chains_router = APIRouter(prefix="/events", tags=["events"])


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


@chains_router.get("/{event_id}/chain", response_model=EventChainOut, responses=ERRORS)
async def event_chain(
    event_id: UUID,
    call: CallerDep,
    depth: Annotated[int, Query(ge=1, le=64, description="levels up and down")] = 16,
    limit: Annotated[int, Query(ge=1, le=1000, description="most descendants")] = 200,
) -> Response:
    """The event's causation ancestors (root first) and descendants as a tree; owner only
    (404 for an unknown or another user's event)."""
    chain = await call.services.event_chains.chain(
        event_id, call.context.user_id, depth=depth, limit=limit
    )
    body = EventChainOut(
        root_cause_id=chain["root_cause_id"],
        ancestors=[EventOut.model_validate(row) for row in chain["ancestors"]],
        tree=chain["tree"],
        truncated=chain["truncated"],
    )
    return json_response(body.model_dump(mode="json"), 200)
