"""A writer's novels: the list (GET /novels), one novel, as JSON or as its Markdown bible
(GET /novels/{id}), and its story memory and continuity findings (issue 48): what the book
remembers of its characters, places and threads, and where a confirmed chapter contradicts it,
with the evidence. Both are projections the continuity check moves after each confirmed chapter
(a second or so later); the writer waives a finding with the novel command `WaiveFinding`."""

from typing import Annotated, Any, Literal
from uuid import UUID

from fastapi import APIRouter, Header, Query, Response

from infinite_scribe.api.deps import CurrentUser, Services
from infinite_scribe.api.novel_epub import EPUB
from infinite_scribe.api.novel_files import JSON, MARKDOWN, book_response, novel_response
from infinite_scribe.api.routes.common import CallerDep, CursorQuery, json_response
from infinite_scribe.api.schemas.errors import error_answer
from infinite_scribe.api.schemas.exports import ExportAccepted
from infinite_scribe.api.schemas.reads import NovelListOut, NovelOut
from infinite_scribe.api.schemas.story import FindingsOut, MemoryOut
from infinite_scribe.application.ports.reads import ChapterWindow
from infinite_scribe.application.reads import MAX_PAGE_SIZE
from infinite_scribe.application.story import MAX_FINDINGS_PAGE
from infinite_scribe.domain.chapter_brief import MAX_CHAPTERS

router = APIRouter(prefix="/novels", tags=["novels"])
#: Included after the chapters' routes: the document lists its paths where it always has.
story_router = APIRouter(prefix="/novels", tags=["novels"])

#: Chapters (with their text) a JSON read of one novel carries unless asked otherwise.
CHAPTER_WINDOW = 50
_NO_NOVEL = error_answer("No such novel for this user")
MAX_CHAPTER_WINDOW = 200
_NOVEL_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {
        "description": (
            "The novel as JSON; with `Accept: text/markdown` its bible as Markdown, with "
            "`Accept: application/epub+zip` as an EPUB 3 book"
        ),
        "content": {
            MARKDOWN: {"schema": {"type": "string"}},
            EPUB: {"schema": {"type": "string", "format": "binary"}},
        },
    },
    202: {
        "model": ExportAccepted,
        "description": "A Markdown or EPUB of a book of more than 200 outlined chapters or "
        "100,000 characters of confirmed chapters: its export job builds it (`Location`: the "
        "task; ask again after `Retry-After` seconds)",
    },
    404: _NO_NOVEL,
    409: error_answer(
        "SESSION_TRASHED: a Markdown or EPUB export of a novel whose session is "
        "in the trash (its JSON stays readable, `trashed: true`)"
    ),
    429: error_answer(
        "TOO_MANY_RENDERS: the caller's previous Markdown or EPUB is still rendering (Retry-After)"
    ),
}


def preferred(accept: str | None) -> str:
    """The media type `Accept` prefers among JSON, Markdown and EPUB (by q-value; JSON wins a
    tie and `*/*`)."""
    best: dict[str, float] = {}
    for part in (accept or "").split(","):
        media, *params = (piece.strip() for piece in part.split(";"))
        quality = 1.0
        for param in params:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        best[media.lower()] = max(quality, best.get(media.lower(), 0.0))
    quality, media = max((best.get(media, 0.0), media) for media in (MARKDOWN, EPUB))
    return media if quality > 0 and quality > best.get(JSON, 0.0) else JSON


@router.get("", response_model=NovelListOut)
async def list_novels(
    user_id: CurrentUser,
    services: Services,
    cursor: CursorQuery = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE)] = 20,
) -> Response:
    """The caller's novels, newest first (422 INVALID_CURSOR for a cursor this API did not
    hand out)."""
    page = await services.reads.novels(user_id, cursor, limit)
    return Response(NovelListOut.of(page).model_dump_json(), media_type="application/json")


@router.get("/{novel_id}", response_model=NovelOut, responses=_NOVEL_RESPONSES)
async def get_novel(
    novel_id: UUID,
    user_id: CurrentUser,
    services: Services,
    accept: Annotated[str | None, Header(max_length=1024)] = None,
    chapter_from: Annotated[int, Query(ge=1, le=MAX_CHAPTERS)] = 1,
    chapter_limit: Annotated[int, Query(ge=1, le=MAX_CHAPTER_WINDOW)] = CHAPTER_WINDOW,
) -> Response:
    """A novel the caller owns (a finished genesis session creates one: its `novel_id`), with
    every confirmed stage and the chapters from `chapter_from`, `chapter_limit` of them (with
    their text; `next_chapter`: the next window's `chapter_from`, null at the outline's end), so
    a read costs the same at chapter 10 and 1,000. `Accept: text/markdown` gives the whole book
    as a Markdown document, `Accept: application/epub+zip` as an EPUB book; a book of more than
    200 outlined chapters (or 100,000 characters of chapters) is its export job's: the file
    once built, 202 with the task before."""
    media = preferred(accept)
    if media != JSON:  # the whole book: rendered here when small, else the export job's
        return await book_response(services, novel_id, user_id, media)
    window = ChapterWindow(chapter_from, chapter_limit)
    novel = await services.reads.novel(novel_id, user_id, window)
    return await novel_response(services, user_id, novel, media)


@story_router.get("/{novel_id}/memory", response_model=MemoryOut, responses={404: _NO_NOVEL})
async def novel_memory(novel_id: UUID, call: CallerDep) -> Response:
    """The novel's story memory: its characters (aliases, status alive / dead / missing /
    unknown, the traits said of them, the chapters they appear in), places and threads (a setup
    planted, its due chapter, when it was paid off), each with its evidence (chapter, event id,
    the exact quote). Built from the bible and the confirmed chapters only."""
    memory = await call.services.story.memory(novel_id, call.context.user_id)
    return json_response(memory, 200)


@story_router.get("/{novel_id}/findings", response_model=FindingsOut, responses={404: _NO_NOVEL})
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
