"""A session's versions (issue 37): its history, and a new session branched from one of its
versions. Rolling back is a command (RollbackToVersion on .../commands). docs/command-api.md."""

from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Body, Query, Response

from infinite_scribe.api.parsed_json import ParsedJsonRoute
from infinite_scribe.api.routes.common import ERRORS, CallerDep, CommandKey, json_response, sent
from infinite_scribe.api.schemas.errors import error_answer
from infinite_scribe.api.schemas.genesis import CommandReply
from infinite_scribe.api.schemas.history import (
    BranchCreated,
    BranchRequest,
    EstimateOut,
    HistoryOut,
    PromptOut,
    RegenerateRequest,
)
from infinite_scribe.application.versions import MAX_PAGE_SIZE, PAGE_SIZE

router = APIRouter(prefix="/genesis/sessions", tags=["genesis"], route_class=ParsedJsonRoute)

_HISTORY_ERRORS: dict[int | str, dict[str, Any]] = {
    **ERRORS,
    422: error_answer("INVALID_CURSOR: `before` is not one we gave"),
    429: error_answer("TOO_MANY_RENDERS: this writer's heavy request runs"),
    503: error_answer("SERVER_BUSY: the process computes all it may"),
}
_BRANCH_ERRORS: dict[int | str, dict[str, Any]] = {
    **_HISTORY_ERRORS,
    422: error_answer("INVALID_VERSION: not a version of this session"),
}


@router.get("/{session_id}/history", response_model=HistoryOut, responses=_HISTORY_ERRORS)
async def session_history(
    session_id: UUID,
    call: CallerDep,
    before: Annotated[str | None, Query(max_length=24)] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE)] = PAGE_SIZE,
) -> Any:
    """The newest `limit` versions older than `before`, grouped by stage in Genesis order, each
    stage oldest first: proposals (with their provenance), revisions (with the feedback),
    confirmations (how the proposal was taken), rollbacks and branches, each with its full
    content and its changes against the stage's previous version (also when that one is on an
    older page). A branch continues into its origin's versions up to the branch point. The
    next page: `?before=<next_before>`; `next_before` is null on the page of the first version.
    A page is shorter when its versions are large (about 4 MiB); no history is too long."""
    page = await call.services.versions.history(session_id, call.context.user_id, before, limit)
    return json_response({"session_id": str(session_id), **page}, 200)


@router.post(
    "/{session_id}/branches",
    status_code=201,
    response_model=BranchCreated,
    responses=_BRANCH_ERRORS,
)
async def branch_session(session_id: UUID, body: BranchRequest, call: CallerDep) -> Any:
    """A new session of the same writer starting from the state right after `at_event_id` (a
    version of this session's history); its first event is `Genesis.Session.Branched`, caused
    by that version. The source is untouched."""
    state = await call.services.versions.branch(
        call.context, session_id, body.at_event_id, body.title
    )
    origin = dict(state.branched_from or {})
    reply = {
        "session_id": str(state.session_id),
        "branched_from": origin,
        "current_stage": state.current_stage.value,
        "version": state.version,
    }
    return json_response(reply, 201)


_REGENERATE_ERRORS: dict[int | str, dict[str, Any]] = {
    **ERRORS,
    409: error_answer(
        "INVALID_STATE (the proposal is of another stage than the current one, "
        "or a generation is running) or DUPLICATE_COMMAND"
    ),
    422: error_answer(
        "UNKNOWN_MODEL (not `offline` nor the configured model) or "
        "INVALID_VERSION (not a proposal of this session with recorded inputs)"
    ),
}
_REGENERATE_EXAMPLES = {
    "offline": {"summary": "Again with the offline generator", "value": {"model": "offline"}},
    "configured": {
        "summary": "Again with the configured model (`LLM_MODEL`)",
        "value": {"model": "qwen2.5:7b-instruct"},
    },
}


@router.post(
    "/{session_id}/versions/{event_id}/regenerate",
    status_code=202,
    response_model=CommandReply,
    responses=_REGENERATE_ERRORS,
)
async def regenerate_proposal(
    session_id: UUID,
    event_id: UUID,
    body: Annotated[RegenerateRequest, Body(openapi_examples=_REGENERATE_EXAMPLES)],
    call: CallerDep,
    key: CommandKey,
) -> Response:
    """Generate the proposal `event_id` (a proposal of the current stage, in the history) again
    from the inputs it was generated from, with another `model`: the `RegenerateProposal`
    command. The new proposal is the stage's next version, its provenance names the model and
    `replay_of`; the history shows it after the old one with the changes between them. To
    keep the old one, roll back to it."""
    payload = {"event_id": str(event_id), "model": body.model}
    return await sent(call, session_id, ("RegenerateProposal", payload), key)


@router.get("/{session_id}/versions/{event_id}/prompt", response_model=PromptOut, responses=ERRORS)
async def proposal_prompt(session_id: UUID, event_id: UUID, call: CallerDep) -> Any:
    """What the proposal `event_id` was generated from: the request as the provider got it
    and the messages sent to the model, exactly (null for the offline generator, which sends
    none). 404 for a proposal written before the inputs were kept."""
    found = await call.services.versions.prompt(session_id, event_id, call.context.user_id)
    return json_response(found, 200)


@router.get("/{session_id}/estimate", response_model=EstimateOut, responses=ERRORS)
async def generation_estimate(session_id: UUID, call: CallerDep) -> Any:
    """Before a generation: about how many tokens the next proposal of the current stage (a new
    one, a revision or a regeneration with the configured model) sends and receives, and what
    it costs at `LLM_PRICE_INPUT_PER_MILLION` / `LLM_PRICE_OUTPUT_PER_MILLION`. After it, the
    history's provenance has the model's own counts."""
    found = await call.services.versions.estimate(session_id, call.context.user_id)
    return json_response(found, 200)
