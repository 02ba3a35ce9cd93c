"""The writer's history page (issue 37): every version of every stage with its content, a
side-by-side diff against the stage's previous version and each proposal's provenance, and on
every version "roll back to this version" and "branch from here" (each behind a disclosure that
says what will happen). The same application services as the API: RollbackToVersion is a
command with the form's idempotency key; a branch is `SessionVersions.branch`."""

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse, Response

from infinite_scribe.api.command_route import known_model
from infinite_scribe.api.console.web import (
    PREFIX,
    SameOrigin,
    Writer,
    form_of,
    one,
    render,
)
from infinite_scribe.api.console.writer import session_command
from infinite_scribe.api.deps import request_context, services_of
from infinite_scribe.domain.errors import InvalidPayload, InvalidVersion

router = APIRouter(prefix=PREFIX)


@router.get("/sessions/{session_id}/history")
async def history_page(
    request: Request,
    session_id: UUID,
    principal: Writer,
    before: Annotated[str | None, Query(max_length=24)] = None,
) -> Response:
    services = services_of(request.app)
    snapshot = await services.sessions.snapshot(session_id, principal.user_id)
    stages = await services.versions.history(session_id, principal.user_id, before)
    branches = await services.reads.branches(session_id, principal.user_id)
    context = {
        "session_id": session_id,
        "state": snapshot.state,
        "history": stages,
        "branches": branches,
        "models": services.settings.models,
    }
    return render(request, "history.html", context, principal=principal)


@router.get("/sessions/{session_id}/versions/{event_id}/prompt")
async def prompt_page(
    request: Request, session_id: UUID, event_id: UUID, principal: Writer
) -> Response:
    """The messages a proposal's model got and the request they came from (issue 55)."""
    found = await services_of(request.app).versions.prompt(session_id, event_id, principal.user_id)
    context = {"session_id": session_id, "found": found}
    return render(request, "prompt.html", context, principal=principal)


@router.post("/sessions/{session_id}/regenerate", dependencies=[SameOrigin])
async def regenerate(request: Request, session_id: UUID, principal: Writer) -> Response:
    """RegenerateProposal with the form's model (issue 55): the session page shows it coming."""
    fields = await form_of(request)
    services = services_of(request.app)
    payload = {"event_id": str(_event_id(fields)), "model": one(fields, "model") or ""}
    known_model(services.settings.models, payload)
    return await session_command(
        request, principal, session_id, "RegenerateProposal", payload, fields
    )


def _event_id(fields: dict[str, list[str]]) -> UUID:
    try:
        return UUID(one(fields, "event_id") or "")
    except ValueError as error:
        raise InvalidVersion("Choose a version of this session's history") from error


@router.post("/sessions/{session_id}/rollback", dependencies=[SameOrigin])
async def roll_back(request: Request, session_id: UUID, principal: Writer) -> Response:
    fields = await form_of(request)
    payload: dict[str, object] = {"event_id": str(_event_id(fields))}
    # The version the page showed: a session that moved meanwhile is a 409, not a surprise.
    version = one(fields, "expected_version")
    if version is not None:
        if not version.isdigit() or len(version) > 10:
            raise InvalidPayload("expected_version must be a version number")
        payload["expected_version"] = int(version)
    return await session_command(
        request, principal, session_id, "RollbackToVersion", payload, fields
    )


@router.post("/sessions/{session_id}/branch", dependencies=[SameOrigin])
async def branch_from(request: Request, session_id: UUID, principal: Writer) -> Response:
    fields = await form_of(request)
    title = (one(fields, "title") or "")[:200] or None
    state = await services_of(request.app).versions.branch(
        request_context(request.scope, principal.user_id), session_id, _event_id(fields), title
    )
    return RedirectResponse(f"{PREFIX}/sessions/{state.session_id}", status_code=303)
