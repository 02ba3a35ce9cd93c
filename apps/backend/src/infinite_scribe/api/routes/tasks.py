"""Async tasks: what an async command asked the agents to do, with its progress and outcome."""

from uuid import UUID

from fastapi import APIRouter, Response

from infinite_scribe.api.deps import CurrentUser, Services
from infinite_scribe.api.routes.common import ERRORS, json_response
from infinite_scribe.api.schemas.fields import shallow_fields
from infinite_scribe.api.schemas.genesis import TaskOut
from infinite_scribe.application.reads import read_task

router = APIRouter(prefix="/tasks", tags=["tasks"])


@router.get("/{task_id}", response_model=TaskOut, responses=ERRORS)
async def get_task(task_id: UUID, user_id: CurrentUser, services: Services) -> Response:
    """The task (owner only): status, progress, message, result or error, and its times."""
    task = await read_task(services.tasks, task_id, user_id)
    return json_response(TaskOut.model_validate(shallow_fields(task)).model_dump(mode="json"), 200)
