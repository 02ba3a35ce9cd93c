"""A novel's Markdown and EPUB as jobs (issue 54, decision 5400): ask for the file of the
novel as it is now, follow its task, download it; built once per version of the novel."""

from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Body, Response

from infinite_scribe.api.file_names import attachment
from infinite_scribe.api.novel_epub import EPUB
from infinite_scribe.api.parsed_json import ParsedJsonRoute
from infinite_scribe.api.routes.common import CallerDep, json_response
from infinite_scribe.api.schemas.errors import error_answer
from infinite_scribe.api.schemas.exports import ExportAccepted, ExportFormat, ExportRequest
from infinite_scribe.application.exports import ExportTicket
from infinite_scribe.application.ports.reads import ChapterWindow

router = APIRouter(prefix="/novels", tags=["novels"], route_class=ParsedJsonRoute)

MEDIA_TYPES = {"markdown": "text/markdown; charset=utf-8", "epub": EPUB}
EXTENSIONS = {"markdown": "md", "epub": "epub"}

_ERRORS: dict[int | str, dict[str, Any]] = {
    404: error_answer("No such novel for this user"),
    409: error_answer("SESSION_TRASHED: the novel's session is in the trash"),
    429: error_answer("TOO_MANY_RENDERS: this writer's builds waiting"),
    503: error_answer("SERVER_BUSY: the process has all the builds it may"),
}
_DOWNLOAD: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "The file of the novel as it is now",
        "content": {
            MEDIA_TYPES["markdown"]: {"schema": {"type": "string"}},
            EPUB: {"schema": {"type": "string", "format": "binary"}},
        },
    },
    404: error_answer("EXPORT_NOT_READY: no file of the novel as it is now (build one first)"),
    409: _ERRORS[409],
}

_EXAMPLES: dict[str, Any] = {
    "epub": {"summary": "The whole book as an EPUB 3 file", "value": {"format": "epub"}},
    "markdown": {"summary": "The whole book as Markdown", "value": {"format": "markdown"}},
}


@router.post(
    "/{novel_id}/exports",
    status_code=202,
    response_model=ExportAccepted,
    responses={200: {"model": ExportAccepted, "description": "The file is ready"}, **_ERRORS},
)
async def request_export(
    novel_id: UUID,
    body: Annotated[ExportRequest, Body(openapi_examples=_EXAMPLES)],
    call: CallerDep,
) -> Response:
    """The novel's file in `format`, built as a job: 202 with the task that builds it (GET
    `task_url` for its progress), or 200 when the file of the novel as it is now is there
    already. Asking again while it builds answers the same task; a changed novel is built
    again."""
    ticket = await call.services.exports.request(novel_id, call.context.user_id, body.format)
    return json_response(
        export_accepted(novel_id, body.format, ticket), 200 if ticket.ready else 202
    )


def export_accepted(novel_id: UUID, export_format: str, ticket: ExportTicket) -> dict[str, Any]:
    """The `ExportAccepted` body of `ticket`: its task, and where the file is once built."""
    return {
        "task_id": str(ticket.task_id),
        "format": export_format,
        "ready": ticket.ready,
        "task_url": f"/api/v1/tasks/{ticket.task_id}",
        "download_url": f"/api/v1/novels/{novel_id}/exports/{export_format}",
    }


@router.get("/{novel_id}/exports/{export_format}", responses=_DOWNLOAD)
async def download_export(novel_id: UUID, export_format: ExportFormat, call: CallerDep) -> Response:
    """The built file of the novel as it is now (404 EXPORT_NOT_READY while it builds, or once
    the novel changed: ask for it again; 409 SESSION_TRASHED while its session is in the
    trash)."""
    user_id = call.context.user_id
    body = await call.services.exports.download(novel_id, user_id, export_format)
    novel = await call.services.reads.novel(novel_id, user_id, ChapterWindow(1, 1))
    name = attachment(novel.title, novel_id, EXTENSIONS[export_format])
    headers = {"Content-Disposition": name}
    return Response(body, media_type=MEDIA_TYPES[export_format], headers=headers)
