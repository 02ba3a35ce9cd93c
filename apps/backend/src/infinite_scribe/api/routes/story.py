"""A novel's story memory and its continuity findings (issue 48): what the book remembers of
its characters, places and threads, and where a confirmed chapter contradicts it, with the
evidence. Both are projections the continuity check moves after each confirmed chapter (a
second or so later); the writer waives a finding with the novel command `WaiveFinding`."""

from typing import Annotated, Any, Literal
from uuid import UUID

from fastapi import APIRouter, Query, Response

from infinite_scribe.api.routes.common import CallerDep, json_response
from infinite_scribe.api.schemas.errors import error_answer
from infinite_scribe.api.schemas.story import FindingsOut, MemoryOut
from infinite_scribe.application.story import MAX_FINDINGS_PAGE

router = APIRouter(prefix="/novels", tags=["novels"])

_ERRORS: dict[int | str, dict[str, Any]] = {
    404: error_answer("No such novel for this user"),
}


@router.get("/{novel_id}/memory", response_model=MemoryOut, responses=_ERRORS)
async def novel_memory(novel_id: UUID, call: CallerDep) -> Response:
    """The novel's story memory: its characters (aliases, status alive / dead / missing /
    unknown, the traits said of them, the chapters they appear in), places and threads (a setup
    planted, its due chapter, when it was paid off), each with its evidence (chapter, event id,
    the exact quote). Built from the bible and the confirmed chapters only."""
    memory = await call.services.story.memory(novel_id, call.context.user_id)
    return json_response(memory, 200)


@router.get("/{novel_id}/findings", response_model=FindingsOut, responses=_ERRORS)
async def novel_findings(
    novel_id: UUID,
    call: CallerDep,
    status: Literal["open", "waived", "resolved"] | None = None,
    limit: Annotated[int, Query(ge=1, le=MAX_FINDINGS_PAGE)] = 50,
    cursor: Annotated[
        str | None,
        Query(pattern=r"^\d:\d{1,5}:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"),
    ] = None,
) -> Response:
    """The novel's continuity findings, ranked: contradictions of life and death first, then
    traits, overdue threads, repetitions last; newest chapter first within a rank (`cursor`:
    the previous page's `next_cursor`): `dead_character_acts`, `trait_changed`, `repetition`,
    `thread_overdue`, each with the quote that contradicts and the evidence it contradicts, and
    its status
    (`open`, `waived` by the writer, `resolved` by a later edit or rollback)."""
    page = await call.services.story.findings(novel_id, call.context.user_id, status, limit, cursor)
    return json_response(page, 200)
