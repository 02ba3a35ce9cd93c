"""The writer's novels in the console: the list, and each novel to take away as Markdown, EPUB
or JSON, authorised by the console cookie like every console page (issue 29: the page linked
the API's JSON, which wants a bearer token, so a browser got a 401)."""

from typing import Literal
from uuid import UUID

import orjson
from fastapi import APIRouter, Request
from fastapi.responses import Response

from infinite_scribe.api.console.web import PREFIX, Writer, render
from infinite_scribe.api.deps import services_of
from infinite_scribe.api.novel_epub import EPUB
from infinite_scribe.api.novel_files import MARKDOWN, RETRY_AFTER, book_response

router = APIRouter(prefix=PREFIX)

#: How many novels the list shows (newest first).
LIST_LIMIT = 100
_MEDIA = {"md": MARKDOWN, "epub": EPUB, "json": "application/json"}


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
