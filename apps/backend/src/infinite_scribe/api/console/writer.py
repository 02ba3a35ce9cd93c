"""The writer's pages: sessions (list, start), a Genesis session (live timeline, request a
proposal, give feedback, choose and confirm), the novels (the list, the finished novel, each to
take away as Markdown, EPUB or JSON, authorised by the console cookie like every console page:
issue 29). Every change goes through the same application services as the API (commands with
an idempotency key)."""

import contextlib
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Annotated, Any, Literal
from uuid import UUID

import orjson
from fastapi import APIRouter, Header, Query, Request
from fastapi.responses import RedirectResponse, Response
from markupsafe import Markup

from infinite_scribe.api.console.bible_history import bible_history
from infinite_scribe.api.console.failures import RECENT_EVENTS, last_failure, reason
from infinite_scribe.api.console.genesis_forms import confirm_payload, options_of, request_command
from infinite_scribe.api.console.labels import BOOKKEEPING_EVENTS, language_of
from infinite_scribe.api.console.web import (
    COOKIE,
    PREFIX,
    Principal,
    SameOrigin,
    Writer,
    action_id,
    form_of,
    one,
    render,
)
from infinite_scribe.api.container import ApiServices
from infinite_scribe.api.deps import request_context, services_of
from infinite_scribe.api.field_names import field_label
from infinite_scribe.api.novel_epub import EPUB
from infinite_scribe.api.novel_files import MARKDOWN, RETRY_AFTER, book_response
from infinite_scribe.api.novel_markdown import bible_renderer, novel_markdown
from infinite_scribe.api.routes.stream import MAX_EVENT_ID, admitted_stream, resume_point
from infinite_scribe.application.ports.reads import ChapterWindow
from infinite_scribe.application.ports.stream import Follower
from infinite_scribe.application.sessions import EVENT_PAGE_MAX_BYTES
from infinite_scribe.domain.codex import Codex
from infinite_scribe.domain.errors import (
    InvalidPayload,
    NotFound,
    NothingToCancel,
    RendersBusy,
    TooManyRenders,
)
from infinite_scribe.domain.genesis import GENERATION_FAILED_EVENTS, GENERATION_REQUEST_EVENTS
from shared_types import GenesisStage, GenesisStatus

#: CommonMark with raw HTML off: the writer's text is escaped, the document's structure rendered.
_MARKDOWN = bible_renderer()

router = APIRouter(prefix=PREFIX)
TIMELINE_LIMIT = 500
#: What a timeline or bible-history page reads of its events' payloads, at most (issue 41):
#: the events routes' bound too (issue 49).
TIMELINE_MAX_BYTES = EVENT_PAGE_MAX_BYTES
#: How many novels the list shows (newest first).
LIST_LIMIT = 100
_MEDIA = {"md": MARKDOWN, "epub": EPUB, "json": "application/json"}


@router.get("/sessions")
async def sessions_page(request: Request, principal: Writer) -> Response:
    page = await services_of(request.app).reads.sessions(principal.user_id, None, None, 100)
    return render(request, "sessions.html", {"sessions": page.sessions}, principal=principal)


@router.post("/sessions", dependencies=[SameOrigin])
async def start_session(request: Request, principal: Writer) -> Response:
    state, _event = await services_of(request.app).sessions.create(
        request_context(request.scope, principal.user_id), None
    )
    return RedirectResponse(f"{PREFIX}/sessions/{state.session_id}", status_code=303)


async def session_view(
    request: Request, principal: Principal, session_id: UUID, after: int = 0
) -> dict[str, Any]:
    """What the session page and its live panels show (404 unless the writer's session)."""
    services = services_of(request.app)
    # Events first, then the snapshot: the page's stream resumes after the last event read
    # here, so a change committed in between is still pushed (and refreshes the panel).
    page = await services.sessions.events_within(
        session_id, principal.user_id, after, TIMELINE_LIMIT, TIMELINE_MAX_BYTES
    )
    events = page.events
    snapshot = await services.sessions.snapshot(session_id, principal.user_id)
    state = snapshot.state
    # The latest events, for a failure to show where the writer looks (issue 38).
    recent = await services.sessions.events_within(
        session_id,
        principal.user_id,
        max(0, state.version - RECENT_EVENTS),
        RECENT_EVENTS,
        TIMELINE_MAX_BYTES,
    )
    return {
        "failure": None if state.is_pending else last_failure(recent.events),
        "pending_seconds": pending_seconds(recent.events) if state.is_pending else 0,
        "failed_events": GENERATION_FAILED_EVENTS,
        "failure_reason": reason,
        "state": state,
        "codex": Codex.from_json(state.codex),
        "trashed": snapshot.trashed,
        "stages": list(GenesisStage),
        "finished": state.status is GenesisStatus.COMPLETED,
        "options": options_of(state.current_stage, state.last_result),
        "events": [dict(row) for row in events if row["event_type"] not in BOOKKEEPING_EVENTS],
        "last_event_id": max((int(row["id"]) for row in events), default=0),
        "session_id": session_id,
        "more_after": page.more_after,
        "estimate": await _estimate(services, session_id, principal.user_id),
    }


def pending_seconds(events: Iterable[Mapping[str, Any]]) -> int:
    """Whole seconds since the latest request among `events` (oldest first), 0 when none: how
    long ago a running generation was asked for (issue 38, decision 4003; the page counts on
    from it)."""
    asked: datetime | None = None
    for event in events:
        if event["event_type"] in GENERATION_REQUEST_EVENTS:
            asked = event.get("created_at") or asked
    if asked is None:
        return 0
    return max(0, int((datetime.now(UTC) - asked).total_seconds()))


async def _estimate(services: ApiServices, session_id: UUID, user_id: UUID) -> Any:
    """The next generation's cost with the configured model (issue 55); None for the offline
    generator (it costs nothing) or while the process's renders are all busy."""
    if services.versions.pricing.model is None:
        return None
    try:
        return await services.versions.estimate(session_id, user_id)
    except (TooManyRenders, RendersBusy):
        return None


@router.get("/sessions/{session_id}")
async def session_page(request: Request, session_id: UUID, principal: Writer) -> Response:
    view = await session_view(request, principal, session_id)
    return render(request, "session.html", view, principal=principal)


@router.get("/sessions/{session_id}/panel")
async def session_panel(request: Request, session_id: UUID, principal: Writer) -> Response:
    view = await session_view(request, principal, session_id)
    return render(request, "_session_panel.html", view, principal=principal)


@router.get("/sessions/{session_id}/timeline")
async def session_timeline(
    request: Request,
    session_id: UUID,
    principal: Writer,
    after: Annotated[int, Query(ge=0, le=MAX_EVENT_ID)] = 0,
) -> Response:
    """The timeline; `after` (a "more" link's) reads on from that version."""
    view = await session_view(request, principal, session_id, after)
    return render(request, "_timeline.html", view, principal=principal)


@router.get("/sessions/{session_id}/stream")
async def session_stream(
    request: Request,
    session_id: UUID,
    principal: Writer,
    after: Annotated[int | None, Query(ge=0, le=MAX_EVENT_ID)] = None,
    last_event_id: Annotated[str | None, Header(alias="Last-Event-ID", max_length=32)] = None,
) -> Response:
    return await console_stream(request, session_id, after, last_event_id)


async def console_stream(
    request: Request, stream_id: UUID, after: int | None, last_event_id: str | None
) -> Response:
    """A session's or a novel's live stream for its page, authorised by the console cookie (same
    origin, so the browser's EventSource sends it and reconnects need no ticket). `after` is the
    last event the page was rendered with: what commits before the stream opens is still sent."""
    services = services_of(request.app)
    # The cookie's token: the stream ends when it expires (issue 28).
    opener = Follower(*services.verified_tokens.verify(request.cookies.get(COOKIE, "")))
    follower = await services.live.authorize(stream_id, ticket=None, follower=opener)
    start = resume_point(last_event_id, after)
    return admitted_stream(services, follower, lambda: services.live.follow(stream_id, start))


async def session_command(
    request: Request,
    principal: Principal,
    session_id: UUID,
    command: str,
    payload: dict[str, Any],
    fields: dict[str, list[str]],
) -> Response:
    # The form's action id is the command's idempotency key: a double submit sends one command.
    key = f"console:{action_id(fields)}"
    await services_of(request.app).commands.execute(
        request_context(request.scope, principal.user_id), session_id, command, payload, key
    )
    return RedirectResponse(f"{PREFIX}/sessions/{session_id}", status_code=303)


@router.post("/sessions/{session_id}/request", dependencies=[SameOrigin])
async def request_proposal(request: Request, session_id: UUID, principal: Writer) -> Response:
    fields = await form_of(request)
    state = await services_of(request.app).sessions.state(session_id, principal.user_id)
    command, payload = request_command(
        state.current_stage, one(fields, "themes"), one(fields, "styles"), one(fields, "text")
    )
    return await session_command(request, principal, session_id, command, payload, fields)


@router.post("/sessions/{session_id}/feedback", dependencies=[SameOrigin])
async def give_feedback(request: Request, session_id: UUID, principal: Writer) -> Response:
    fields = await form_of(request)
    payload = {"feedback": one(fields, "feedback") or ""}
    return await session_command(request, principal, session_id, "SubmitFeedback", payload, fields)


@router.post("/sessions/{session_id}/confirm", dependencies=[SameOrigin])
async def confirm_stage(request: Request, session_id: UUID, principal: Writer) -> Response:
    fields = await form_of(request)
    state = await services_of(request.app).sessions.state(session_id, principal.user_id)
    try:
        choice = int(one(fields, "choice") or "")
        payload = confirm_payload(state.current_stage, state.last_result, choice, fields)
    except (ValueError, IndexError) as error:
        raise InvalidPayload("Choose one of the proposal's options") from error
    return await session_command(request, principal, session_id, "ConfirmStage", payload, fields)


@router.post("/sessions/{session_id}/codex", dependencies=[SameOrigin])
async def edit_codex(request: Request, session_id: UUID, principal: Writer) -> Response:
    """One correction of the codex (EditCodex, issue 76): rename, set a role, not a name,
    remove, or add a person in a role; the command's own model refuses anything else (422,
    nothing changed)."""
    fields = await form_of(request)
    op, name, value = one(fields, "op"), one(fields, "name"), one(fields, "value")
    edit: dict[str, Any] = {"op": op, "name": name}
    if op == "rename":
        edit["to"] = value
    elif op == "set_role":
        edit["role"] = value or None
    elif op == "add":  # a person offered in a role (a revision's offered edit, issue 76)
        edit |= {"kind": "person", "role": value or None}
    payload = {"edits": [edit]}
    return await session_command(request, principal, session_id, "EditCodex", payload, fields)


@router.post("/sessions/{session_id}/cancel", dependencies=[SameOrigin])
async def cancel_generation(request: Request, session_id: UUID, principal: Writer) -> Response:
    """Stop the running generation (CancelGeneration); when it ended meanwhile (its proposal
    landed) the page shows what there is now rather than an error."""
    fields = await form_of(request)
    with contextlib.suppress(NothingToCancel):
        return await session_command(request, principal, session_id, "CancelGeneration", {}, fields)
    return RedirectResponse(f"{PREFIX}/sessions/{session_id}", status_code=303)


@router.get("/novels/{novel_id}")
async def novel_page(request: Request, novel_id: UUID, principal: Writer) -> Response:
    """The finished novel, rendered from the same Markdown the API gives the writer to keep
    (404 unless the writer's), and its bible's history from the Genesis session's events. Raw
    HTML in the writer's text is escaped, never rendered."""
    services = services_of(request.app)
    # The bible only: the page shows no chapter's text (the chapters page does, a window).
    novel = await services.reads.novel(novel_id, principal.user_id, ChapterWindow(1, 1))
    events: list[Any] = []
    if novel.genesis_session_id is not None:
        with contextlib.suppress(NotFound):  # a purged session leaves its novel
            page = await services.sessions.events_within(
                novel.genesis_session_id, principal.user_id, 0, TIMELINE_LIMIT, TIMELINE_MAX_BYTES
            )
            events = page.events

    language = language_of(request)

    def label(key: str) -> str:
        return field_label(key, language)

    def page_parts() -> tuple[Markup, list[Any]]:  # CPU: off the loop (issue 41)
        # The page shows the title once, as its heading (issue 38).
        markdown = novel_markdown(novel, label=label, titled=False)
        return Markup(_MARKDOWN.render(markdown)), bible_history(events)

    bible, history = await services.renders.run(principal.user_id, page_parts)
    context = {"novel": novel, "bible": bible, "history": history}
    return render(request, "novel.html", context, principal=principal)


@router.get("/novels")
async def novels_page(request: Request, principal: Writer) -> Response:
    page = await services_of(request.app).reads.novels(principal.user_id, None, LIST_LIMIT)
    return render(request, "novels.html", {"novels": page.novels}, principal=principal)


@router.get("/novels/{novel_id}/download/{kind}")
async def download_novel(
    request: Request, novel_id: UUID, kind: Literal["md", "epub", "json"], principal: Writer
) -> Response:
    """The novel as a file to save (404 unless the writer's); a long book's Markdown or EPUB is
    its export job's (api/novel_files.py: 202 with the task while it builds)."""
    services = services_of(request.app)
    media = _MEDIA[kind]
    found = await book_response(services, novel_id, principal.user_id, media, download=True)
    if found.status_code != 202:
        return found
    # A long book's file is its export job's: a page that asks again until it is there.
    building = {"task_id": orjson.loads(found.body)["task_id"], "retry_after": RETRY_AFTER}
    return render(request, "book_building.html", building, status_code=202, principal=principal)
