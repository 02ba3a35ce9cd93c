"""The operator's pages (a JWT with the `operator` role): overview, event chains, the
outbox's FAILED rows, dead letters and the audit log. Every action is audited and idempotent
(application/operator.py); after it the page shows the recorded outcome."""

import asyncio
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import RedirectResponse, Response

from infinite_scribe.api.console.chain_svg import layout
from infinite_scribe.api.console.web import (
    PREFIX,
    Operator,
    SameOrigin,
    action_id,
    form_of,
    one,
    render,
)
from infinite_scribe.api.deps import services_of
from infinite_scribe.application.operator import OperatorActions
from infinite_scribe.application.ports.operator import AuditEntry, DeadLetterFilter, OutboxFilter
from infinite_scribe.domain.errors import InvalidPayload, NotFound

router = APIRouter(prefix=f"{PREFIX}/ops")
Text = Annotated[str | None, Query(max_length=500)]


def _operator(request: Request) -> OperatorActions:
    return services_of(request.app).console.operator


def _id_field(fields: dict[str, list[str]], name: str, what: str) -> UUID:
    """A form's id field, or 422 saying which field is not what."""
    try:
        return UUID(one(fields, name) or "")
    except ValueError as error:
        raise InvalidPayload(f"{name} is not a {what}") from error


async def _done(request: Request, done: UUID | None) -> AuditEntry | None:
    return await _operator(request).recorded(done) if done else None


@router.get("")
async def overview_page(
    request: Request, principal: Operator, done: Annotated[UUID | None, Query()] = None
) -> Response:
    context = {**await _figures(request), "done": await _done(request, done)}
    return render(request, "ops_overview.html", context, principal=principal)


@router.post("/archive", dependencies=[SameOrigin])
async def archive_session(request: Request, principal: Operator) -> Response:
    """Archive one session and its novel (decision 5101): audited, idempotent."""
    fields = await form_of(request)
    session_id = _id_field(fields, "session_id", "session id")
    key = action_id(fields)
    await _operator(request).archive_session(principal.user_id, key, session_id)
    return RedirectResponse(f"{PREFIX}/ops?done={key}", status_code=303)


@router.get("/figures")
async def overview_figures(request: Request, principal: Operator) -> Response:
    return render(request, "_figures.html", await _figures(request), principal=principal)


async def _figures(request: Request) -> dict[str, object]:
    """The overview's figures and whether the model server answers (cached probe)."""
    services = services_of(request.app)
    figures, model = await asyncio.gather(
        services.console.overview.figures(), services.model.status()
    )
    return {"f": figures, "model": model, "loop_lag_ms": services.loop.worst_recent() * 1000}


@router.get("/chain")
async def chain_page(
    request: Request, principal: Operator, id: Annotated[UUID | None, Query()] = None
) -> Response:
    """The causation tree of an event's flow (`id` = an event id or a correlation id)."""
    context: dict[str, object] = {"query": id}
    if id is not None:
        operator = _operator(request)
        highlight = None
        try:
            event = await operator.event(id)
            correlation, highlight = event["correlation_id"], str(id)
        except NotFound:
            correlation = id
        tree, truncated = await operator.chain(correlation)
        context |= {"svg": layout(tree, highlight), "truncated": truncated, "flow": correlation}
    return render(request, "ops_chain.html", context, principal=principal)


@router.get("/events/{event_id}")
async def event_page(request: Request, event_id: UUID, principal: Operator) -> Response:
    event = await _operator(request).event(event_id)
    return render(request, "ops_event.html", {"event": event}, principal=principal)


async def _outbox_filter(
    key: Text = None, topic: Text = None, error_class: Text = None, error_contains: Text = None
) -> OutboxFilter:
    """The outbox page's filter: from its query (a dependency), or from the requeue form."""
    return OutboxFilter(key or None, topic or None, error_class or None, error_contains or None)


@router.get("/outbox")
async def outbox_page(
    request: Request,
    principal: Operator,
    where: Annotated[OutboxFilter, Depends(_outbox_filter)],
    done: UUID | None = None,
) -> Response:
    rows = await _operator(request).failed_outbox(where)
    context = {"rows": rows, "where": where, "done": await _done(request, done)}
    return render(request, "ops_outbox.html", context, principal=principal)


@router.post("/outbox/requeue", dependencies=[SameOrigin])
async def requeue(request: Request, principal: Operator) -> Response:
    fields = await form_of(request)
    row = one(fields, "row_id")
    where = None
    if row is None:
        where = await _outbox_filter(
            one(fields, "key"),
            one(fields, "topic"),
            one(fields, "error_class"),
            one(fields, "error_contains"),
        )
    try:
        row_id = UUID(row) if row else None
    except ValueError as error:
        raise InvalidPayload("row_id is not a row id") from error
    key = action_id(fields)
    await _operator(request).requeue_outbox(principal.user_id, key, row_id=row_id, where=where)
    return RedirectResponse(f"{PREFIX}/ops/outbox?done={key}", status_code=303)


@router.get("/outbox/{row_id}")
async def outbox_row_page(
    request: Request, row_id: UUID, principal: Operator, done: UUID | None = None
) -> Response:
    """One row: its key, headers and payload (escaped, indented, bounded) and, while it is
    FAILED, a discard that asks first (issue 38)."""
    row = await _operator(request).outbox_row(row_id)
    context = {"row": row, "done": await _done(request, done)}
    return render(request, "ops_outbox_row.html", context, principal=principal)


@router.post("/outbox/discard", dependencies=[SameOrigin])
async def discard_outbox_row(request: Request, principal: Operator) -> Response:
    fields = await form_of(request)
    row_id = _id_field(fields, "row_id", "row id")
    key = action_id(fields)
    await _operator(request).discard_outbox_row(principal.user_id, key, row_id)
    return RedirectResponse(f"{PREFIX}/ops/outbox?done={key}", status_code=303)


async def _letter_filter(
    key: Text = None, error_class: Text = None, text: Text = None, settled: bool = False
) -> DeadLetterFilter:
    """The dead letters page's filter: from its query (a dependency), or from the form."""
    return DeadLetterFilter(key or None, error_class or None, text or None, settled)


@router.get("/dead-letters")
async def dead_letters_page(
    request: Request,
    principal: Operator,
    where: Annotated[DeadLetterFilter, Depends(_letter_filter)],
    done: UUID | None = None,
) -> Response:
    letters = await _operator(request).dead_letters(where)
    context = {"letters": letters, "where": where, "done": await _done(request, done)}
    return render(request, "ops_dead_letters.html", context, principal=principal)


@router.post("/dead-letters/{verb}", dependencies=[SameOrigin])
async def settle_letters(request: Request, verb: str, principal: Operator) -> Response:
    if verb not in ("replay", "discard"):
        raise NotFound("No such action")
    fields = await form_of(request)
    positions = [p for p in fields.get("position", []) if _is_position(p)] or None
    if fields.get("position") and positions is None:
        raise InvalidPayload("position must be PARTITION:OFFSET")
    where = None
    if positions is None:
        where = await _letter_filter(
            one(fields, "key"), one(fields, "error_class"), one(fields, "text"), False
        )
    key = action_id(fields)
    operator = _operator(request)
    act = operator.replay_dead_letters if verb == "replay" else operator.discard_dead_letters
    await act(principal.user_id, key, positions=positions, where=where)
    return RedirectResponse(f"{PREFIX}/ops/dead-letters?done={key}", status_code=303)


def _is_position(text: str) -> bool:
    partition, sep, offset = text.partition(":")
    return bool(sep) and partition.isdigit() and offset.isdigit() and len(text) < 40


@router.get("/audit")
async def audit_page(
    request: Request,
    principal: Operator,
    action: Annotated[str | None, Query(max_length=100)] = None,
) -> Response:
    entries = await _operator(request).recent_audit(200, action or None)
    return render(
        request, "ops_audit.html", {"entries": entries, "action": action}, principal=principal
    )
