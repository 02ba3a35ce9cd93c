"""Reading async tasks: the owner sees theirs, anybody else gets a 404 (no existence leak)."""

from uuid import UUID

from infinite_scribe.application.ports.tasks import TaskQueries, TaskView
from infinite_scribe.domain.errors import NotFound


async def read_task(queries: TaskQueries, task_id: UUID, user_id: UUID) -> TaskView:
    task = await queries.task(task_id, user_id)
    if task is None:
        raise NotFound("Task not found")
    return task
