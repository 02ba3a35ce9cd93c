"""A novel's chapters (issue 39): commands on the novel (RequestChapterDraft,
SubmitChapterFeedback, ConfirmChapter, RollbackToVersion) and its chapters' history
(docs/command-api.md). The chapters themselves are part of `GET /novels/{id}`."""

from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Body, Query, Response

from infinite_scribe.api.routes.common import (
    ERRORS,
    CallerDep,
    CommandKey,
    command_responses,
    json_response,
    sent,
)
from infinite_scribe.api.schemas.chapters import (
    NOVEL_COMMAND_EXAMPLES,
    ChapterHistoryOut,
    NovelCommandRequest,
)
from infinite_scribe.api.schemas.errors import error_answer
from infinite_scribe.api.schemas.genesis import CommandReply
from infinite_scribe.application.versions import MAX_PAGE_SIZE, PAGE_SIZE

router = APIRouter(prefix="/novels", tags=["novels"])

_NOVEL_ERRORS: dict[int | str, dict[str, Any]] = {
    **ERRORS,
    404: error_answer("No such novel for this user"),
    422: error_answer(
        "Invalid request; INVALID_CHAPTER (no such chapter in the outline), "
        "NO_DRAFT (feedback or confirmation before a draft), INVALID_VERSION"
    ),
}


@router.post(
    "/{novel_id}/commands",
    status_code=202,
    response_model=CommandReply,
    responses=command_responses(
        _NOVEL_ERRORS,
        "DUPLICATE_COMMAND (same type still pending), INVALID_STATE (another chapter is being "
        "written, a finding not open), VERSION_CONFLICT, GENERATION_PENDING (a rollback while "
        "a chapter is written), SESSION_TRASHED (the novel's session is in the trash) or "
        "CONCURRENCY_CONFLICT",
    ),
)
async def send_novel_command(
    novel_id: UUID,
    command: Annotated[NovelCommandRequest, Body(openapi_examples=NOVEL_COMMAND_EXAMPLES)],
    call: CallerDep,
    key: CommandKey,
) -> Response:
    """Send a chapter command; 202 RECEIVED for drafts and feedback (an agent writes, streaming
    `draft` events on the novel's live stream, `context_id` = the novel), 200 COMPLETED for
    ConfirmChapter and RollbackToVersion. Idempotency keys as for session commands."""
    command_of = (command.command_type, command.payload)
    return await sent(call, novel_id, command_of, key, call.services.novel_commands)


_HISTORY_ERRORS: dict[int | str, dict[str, Any]] = {
    **_NOVEL_ERRORS,
    429: error_answer("TOO_MANY_RENDERS: this writer's heavy request runs"),
    503: error_answer("SERVER_BUSY: the process computes all it may"),
}


@router.get("/{novel_id}/history", response_model=ChapterHistoryOut, responses=_HISTORY_ERRORS)
async def novel_history(
    novel_id: UUID,
    call: CallerDep,
    before: Annotated[int | None, Query(ge=1, le=2**31 - 1)] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE)] = PAGE_SIZE,
) -> Response:
    """The newest `limit` versions older than `before`, by chapter number, each chapter's oldest
    first: drafts (with their provenance and beats), revisions (with the feedback),
    confirmations (as drafted or edited) and rollbacks; an `event_id` of a version is what
    RollbackToVersion goes back to. The next page: `?before=<next_before>` (null: this page
    holds the first version). A page is shorter when its versions are large (about 4 MiB)."""
    page = await call.services.chapters.history(novel_id, call.context.user_id, before, limit)
    return json_response({"novel_id": str(novel_id), **page}, 200)
