"""A novel's exports as jobs (issue 54, decision 5400), as OpenAPI shows them."""

from typing import Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict

ExportFormat = Literal["markdown", "epub"]


class ExportRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    format: ExportFormat


class ExportAccepted(BaseModel):
    """The task that builds (or built) the file; `ready`: the file of the novel as it is now
    is there to download."""

    task_id: UUID
    format: ExportFormat
    ready: bool
    #: GET it for the task's status and progress.
    task_url: str
    #: GET it for the file once the task is COMPLETED (404 EXPORT_NOT_READY before).
    download_url: str
