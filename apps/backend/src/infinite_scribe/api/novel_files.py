"""A novel as a file: JSON, Markdown or EPUB (`novel_response`), and the whole book from a read
of one novel (`book_response`: `GET /novels/{id}` with `Accept`, the console's download),
bounded whatever the book's length (issue 54). A book of at most `SYNC_BOOK_CHAPTERS` outlined
chapters and `SYNC_BOOK_CHARACTERS` of confirmed text is rendered in the request, as before; a
longer one is its export job's (decision 5400; by characters, issue 79 X1): the stored file
of the novel as it is now, or 202 with the task that builds it (`Location`, `Retry-After`), as
GitHub's statistics endpoints answer while they compute. Asking again while it builds answers
the same task."""

from uuid import UUID

import orjson
from fastapi import Response

from infinite_scribe.api.container import ApiServices
from infinite_scribe.api.file_names import attachment
from infinite_scribe.api.novel_chapters import confirmed_chapters
from infinite_scribe.api.novel_epub import EPUB, novel_epub
from infinite_scribe.api.novel_markdown import novel_markdown
from infinite_scribe.api.routes.exports import EXTENSIONS, MEDIA_TYPES, export_accepted
from infinite_scribe.api.schemas.reads import NovelOut
from infinite_scribe.application.ports.reads import ChapterWindow, NovelView
from infinite_scribe.domain.errors import SessionTrashed

MARKDOWN = "text/markdown"
JSON = "application/json"

#: A book of more outlined chapters is built by its export job, not in a request.
SYNC_BOOK_CHAPTERS = 200
#: ... and so is one whose confirmed chapters hold more characters (issue 79 X1): a render
#: costs up to ~25 us a character (short lines, a break each: 1.5 s a 60,000-character
#: chapter), and one in a request holds one of the process's two render slots, which other
#: writers' history and exports need. 2.5 s at worst here; 0.03 s of ordinary prose.
SYNC_BOOK_CHARACTERS = 100_000
#: Seconds a client waits before asking again while the file builds.
RETRY_AFTER = 2
_FORMATS = {MARKDOWN: "markdown", EPUB: "epub"}


async def book_response(
    services: ApiServices, novel_id: UUID, user_id: UUID, media: str, download: bool = False
) -> Response:
    """The novel as `media` (JSON: its first window of chapters, `next_chapter` saying more)."""
    if media in _FORMATS:
        # The window's last chapter alone first: a long book's poll reads one chapter, not 200.
        window = ChapterWindow(SYNC_BOOK_CHAPTERS, 1)
        probe = await services.reads.novel(novel_id, user_id, window)
        if probe.next_chapter is not None:
            return await _from_export(services, probe, user_id, media, download)
    novel = await services.reads.novel(novel_id, user_id, ChapterWindow(1, SYNC_BOOK_CHAPTERS))
    if media in _FORMATS and _characters(novel) > SYNC_BOOK_CHARACTERS:
        return await _from_export(services, novel, user_id, media, download)
    return await novel_response(services, user_id, novel, media, download)


def _characters(novel: NovelView) -> int:
    """The characters of the novel's confirmed chapters (what an export renders beyond the
    bible; `len` of each text: no copy, no scan)."""
    return sum(len(c.text) for c in confirmed_chapters(novel.chapters))


async def _from_export(
    services: ApiServices, novel: NovelView, user_id: UUID, media: str, download: bool
) -> Response:
    """A long book's file: the export of the novel as it is now, or 202 with its job's task."""
    if novel.trashed:
        raise SessionTrashed("The novel's session is in the trash; restore it to export it")
    file_format, novel_id = _FORMATS[media], novel.novel_id
    ticket = await services.exports.request(novel_id, user_id, file_format)
    if ticket.ready:
        body = await services.exports.download(novel_id, user_id, file_format)
        response = Response(body, media_type=MEDIA_TYPES[file_format])
        if download:
            extension = EXTENSIONS[file_format]
            response.headers["Content-Disposition"] = attachment(novel.title, novel_id, extension)
        return response
    reply = export_accepted(novel_id, file_format, ticket)
    headers = {"Location": reply["task_url"], "Retry-After": str(RETRY_AFTER)}
    return Response(orjson.dumps(reply), 202, headers, media_type="application/json")


async def novel_response(
    services: ApiServices, user_id: UUID, novel: NovelView, media: str, download: bool = False
) -> Response:
    """The novel as `media` (JSON, Markdown or EPUB); `download` names a file to save. Markdown
    and EPUB are rendered off the loop, bounded (application/cpu.py); JSON is pydantic-core's,
    milliseconds even for the largest bible STAGE_MAX_BYTES allows. An export of a novel
    whose session is in the trash is refused (409 SESSION_TRASHED), as its commands are."""
    if novel.trashed and media in (MARKDOWN, EPUB):
        raise SessionTrashed("The novel's session is in the trash; restore it to export it")
    if media == MARKDOWN:
        text = await services.renders.run(user_id, lambda: novel_markdown(novel, novel.chapters))
        response = Response(text, media_type=f"{MARKDOWN}; charset=utf-8")
    elif media == EPUB:
        book = await services.renders.run(user_id, lambda: novel_epub(novel, novel.chapters))
        response = Response(book, media_type=EPUB)
    else:
        response = Response(NovelOut.of(novel).model_dump_json(), media_type="application/json")
    if download:
        extension = {MARKDOWN: "md", EPUB: "epub"}.get(media, "json")
        response.headers["Content-Disposition"] = attachment(novel.title, novel.novel_id, extension)
    return response
