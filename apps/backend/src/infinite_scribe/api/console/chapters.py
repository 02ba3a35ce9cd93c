"""A novel's chapters in the console (issue 39): the outline's chapters with their status, a
form to draft each one, the text streaming in as the agent writes, feedback, edit and
confirm, every chapter's history with a way back, and (issue 48) the open continuity findings
of each chapter with their evidence and a way to waive them, beside the story memory.
Commands go through the novel's command service, each form's action id as its idempotency
key (a double submit sends one command)."""

import contextlib
from collections.abc import Awaitable, Callable
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Header, Query, Request
from fastapi.responses import RedirectResponse, Response

from infinite_scribe.api.console.web import (
    PREFIX,
    Principal,
    SameOrigin,
    Writer,
    action_id,
    form_of,
    one,
    render,
)
from infinite_scribe.api.console.writer import console_stream
from infinite_scribe.api.deps import request_context, services_of
from infinite_scribe.api.routes.stream import MAX_EVENT_ID
from infinite_scribe.application.ports.reads import ChapterWindow
from infinite_scribe.application.story import MAX_FINDINGS_PAGE
from infinite_scribe.domain.chapter_brief import MAX_CHAPTERS
from infinite_scribe.domain.chapter_commands import MAX_CHAPTER_TEXT
from infinite_scribe.domain.continuity import REPETITION
from infinite_scribe.domain.errors import InvalidPayload, InvalidState, NothingToCancel
from infinite_scribe.domain.passages import folded

router = APIRouter(prefix=PREFIX)


#: The chapters a console page shows at once.
CHAPTER_WINDOW = 50
ChapterFrom = Annotated[int, Query(ge=1, le=MAX_CHAPTERS)]


async def chapters_view(
    request: Request, principal: Principal, novel_id: UUID, chapter_from: int
) -> dict[str, Any]:
    """What the chapters page and its panel show (404 unless the writer's novel): a window of
    the chapters (a long book is shown `CHAPTER_WINDOW` at a time), the open continuity
    findings of each (issue 48) and the story memory."""
    services = services_of(request.app)
    window = ChapterWindow(window_start(chapter_from), CHAPTER_WINDOW)
    novel = await services.reads.novel(novel_id, principal.user_id, window)
    memory = await services.story.memory(novel_id, principal.user_id)
    page = await services.story.findings(
        novel_id, principal.user_id, "open", MAX_FINDINGS_PAGE, None
    )
    findings: dict[int, list[dict[str, Any]]] = {}
    for finding in page["findings"]:
        if finding["kind"] != REPETITION:
            findings.setdefault(finding["chapter"], []).append(finding)
    shown = {"chapter_from": window.first, "previous_chapter": max(1, window.first - window.limit)}
    view = {"novel": novel, "chapters": novel.chapters, "findings": findings, "memory": memory}
    return view | shown | {"repeats": repetition_groups(page["findings"])}


def repetition_groups(findings: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The open repetitions grouped by their passage (a sentence the book says in many
    chapters is one group, waived at once), the most repeated first."""
    groups: dict[str, dict[str, Any]] = {}
    for finding in findings:
        if finding["kind"] != REPETITION:
            continue
        key = folded(finding["quote"]).lower()
        group = groups.setdefault(key, {"quote": finding["quote"], "findings": []})
        group["findings"].append(finding)
    for group in groups.values():
        group["chapters"] = sorted({f["chapter"] for f in group["findings"]})
        group["sources"] = sorted({e["chapter"] for f in group["findings"] for e in f["evidence"]})
    return sorted(groups.values(), key=lambda g: (-len(g["findings"]), g["chapters"][0]))


def window_start(chapter: int) -> int:
    """The first chapter of the console's window that shows `chapter`."""
    return (max(chapter, 1) - 1) // CHAPTER_WINDOW * CHAPTER_WINDOW + 1


def _chapters_route(template: str) -> Callable[..., Awaitable[Response]]:
    async def chapters_page(
        request: Request, novel_id: UUID, principal: Writer, chapter_from: ChapterFrom = 1
    ) -> Response:
        view = await chapters_view(request, principal, novel_id, chapter_from)
        return render(request, template, view, principal=principal)

    return chapters_page


#: The chapters page, and its panel alone (what the page's forms swap in).
router.get("/novels/{novel_id}/chapters")(_chapters_route("chapters.html"))
router.get("/novels/{novel_id}/chapters/panel")(_chapters_route("_chapters_panel.html"))


@router.get("/novels/{novel_id}/chapters/history")
async def chapters_history(
    request: Request,
    novel_id: UUID,
    principal: Writer,
    before: Annotated[int | None, Query(ge=1, le=2**31 - 1)] = None,
) -> Response:
    services = services_of(request.app)
    novel = await services.reads.novel(novel_id, principal.user_id, ChapterWindow(1, 1))
    page = await services.chapters.history(novel_id, principal.user_id, before)
    context = {"novel": novel, "history": page["chapters"], "next_before": page["next_before"]}
    return render(request, "chapter_history.html", context, principal=principal)


@router.get("/novels/{novel_id}/stream")
async def novel_stream(
    request: Request,
    novel_id: UUID,
    principal: Writer,
    after: Annotated[int | None, Query(ge=0, le=MAX_EVENT_ID)] = None,
    last_event_id: Annotated[str | None, Header(alias="Last-Event-ID", max_length=32)] = None,
) -> Response:
    return await console_stream(request, novel_id, after, last_event_id)


def _chapter(value: str | None) -> int:
    try:
        return int(value or "")
    except ValueError as error:
        raise InvalidPayload("The form names no chapter") from error


@router.post("/novels/{novel_id}/chapters/draft", dependencies=[SameOrigin])
async def draft_chapter(request: Request, novel_id: UUID, principal: Writer) -> Response:
    fields = await form_of(request)
    payload = {"chapter": _chapter(one(fields, "chapter")), "wishes": one(fields, "wishes")}
    return await _command(request, principal, novel_id, "RequestChapterDraft", payload, fields)


@router.post("/novels/{novel_id}/chapters/feedback", dependencies=[SameOrigin])
async def chapter_feedback(request: Request, novel_id: UUID, principal: Writer) -> Response:
    fields = await form_of(request)
    payload = {"chapter": _chapter(one(fields, "chapter")), "feedback": one(fields, "feedback")}
    return await _command(request, principal, novel_id, "SubmitChapterFeedback", payload, fields)


@router.post("/novels/{novel_id}/chapters/confirm", dependencies=[SameOrigin])
async def confirm_chapter(request: Request, novel_id: UUID, principal: Writer) -> Response:
    fields = await form_of(request, max_field=MAX_CHAPTER_TEXT)
    payload = {"chapter": _chapter(one(fields, "chapter")), "text": one(fields, "text")}
    return await _command(request, principal, novel_id, "ConfirmChapter", payload, fields)


@router.post("/novels/{novel_id}/chapters/cancel", dependencies=[SameOrigin])
async def cancel_chapter(request: Request, novel_id: UUID, principal: Writer) -> Response:
    """Stop the chapter being written (CancelGeneration, issue 77); when its draft landed
    meanwhile, the page shows what there is now rather than an error."""
    fields = await form_of(request)
    number = _chapter(one(fields, "chapter"))  # the page to come back to
    with contextlib.suppress(NothingToCancel):
        await services_of(request.app).novel_commands.execute(
            request_context(request.scope, principal.user_id),
            novel_id,
            "CancelGeneration",
            {},
            f"console:{action_id(fields)}",
        )
    shown = f"?chapter_from={window_start(number)}"
    return RedirectResponse(f"{PREFIX}/novels/{novel_id}/chapters{shown}", status_code=303)


@router.post("/novels/{novel_id}/findings/waive", dependencies=[SameOrigin])
async def waive_finding(request: Request, novel_id: UUID, principal: Writer) -> Response:
    fields = await form_of(request)
    payload = {"finding_id": one(fields, "finding_id"), "reason": one(fields, "reason")}
    return await _command(request, principal, novel_id, "WaiveFinding", payload, fields)


@router.post("/novels/{novel_id}/findings/waive-group", dependencies=[SameOrigin])
async def waive_group(request: Request, novel_id: UUID, principal: Writer) -> Response:
    """Waive every finding of a group (a passage repeated in many chapters) at once: one
    `WaiveFinding` each, keyed by the form's action id and the finding (a double submit
    sends nothing twice); one already waived or settled meanwhile is passed over."""
    fields = await form_of(request)
    key, reason = action_id(fields), one(fields, "reason")
    ids = list(dict.fromkeys(v.strip() for v in fields.get("finding_id", []) if v.strip()))
    if not ids or len(ids) > MAX_FINDINGS_PAGE:
        raise InvalidPayload(f"A group names 1 to {MAX_FINDINGS_PAGE} findings")
    commands = services_of(request.app).novel_commands
    context = request_context(request.scope, principal.user_id)
    for finding_id in ids:
        payload = {"finding_id": finding_id} | ({"reason": reason} if reason else {})
        try:
            await commands.execute(
                context, novel_id, "WaiveFinding", payload, f"console:{key}:{finding_id}"
            )
        except InvalidState:
            continue  # waived or settled since the page was shown
    return RedirectResponse(f"{PREFIX}/novels/{novel_id}/chapters", status_code=303)


@router.post("/novels/{novel_id}/chapters/rollback", dependencies=[SameOrigin])
async def rollback_chapters(request: Request, novel_id: UUID, principal: Writer) -> Response:
    fields = await form_of(request)
    payload = {"event_id": one(fields, "event_id")}
    if one(fields, "scope") == "novel":  # the checkbox: the whole novel, explicitly
        payload["scope"] = "novel"
    return await _command(request, principal, novel_id, "RollbackToVersion", payload, fields)


async def _command(
    request: Request,
    principal: Principal,
    novel_id: UUID,
    command: str,
    payload: dict[str, Any],
    fields: dict[str, list[str]],
) -> Response:
    key = action_id(fields)
    sent = {name: value for name, value in payload.items() if value is not None}
    await services_of(request.app).novel_commands.execute(
        request_context(request.scope, principal.user_id), novel_id, command, sent, f"console:{key}"
    )
    chapter = payload.get("chapter")
    shown = f"?chapter_from={window_start(int(str(chapter)))}" if str(chapter).isdigit() else ""
    return RedirectResponse(f"{PREFIX}/novels/{novel_id}/chapters{shown}", status_code=303)
