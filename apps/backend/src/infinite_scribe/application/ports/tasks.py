"""Ports of async tasks (what an async command asked the agents to do). Their writes (a new
task, a finish, the consumers' dedupe ledger) are `Write` parts (ports/writes.py)."""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any, Protocol
from uuid import UUID

from infinite_scribe.application.ports.genesis import SessionSnapshot
from infinite_scribe.application.ports.storage import RepositoryKey


@dataclass(frozen=True)
class TaskView:
    """A task as its owner reads it (GET /tasks/{id})."""

    task_id: UUID
    task_type: str
    status: str
    progress: Decimal
    message: str | None
    result: dict[str, Any] | None
    error: dict[str, Any] | None
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    session_id: UUID | None
    command_id: UUID | None
    correlation_id: UUID | None


@dataclass(frozen=True)
class TaskRecord:
    """What the agent side needs of a task it is about to work on."""

    task_id: UUID
    task_type: str
    status: str
    command_id: UUID
    user_id: UUID
    session_id: UUID
    correlation_id: UUID
    attempts: int


#: (event id, event type, payload) of a session's events a prompt is built from.
#: (event id, event type, payload) of the session's events a prompt is built from
#: (domain.wishes.PROMPT_SOURCES), oldest first: writer_wishes folds the wishes, prompt_inputs
#: names them in a proposal's provenance.
GenerationRequests = list[tuple[UUID, str, dict[str, Any]]]


@dataclass(frozen=True)
class OutlinePart:
    """One part of a batched outline to keep (decision 5404), with its task's progress."""

    session_id: UUID
    plan: str
    part: int
    content: Mapping[str, Any]
    #: The task that wrote it, and the percent done once it is kept.
    task_id: UUID
    progress: float


@dataclass(frozen=True)
class StartedTask:
    """What an agent's begin reads in its one statement: the started task, its session (None:
    gone) and the session's `GenerationRequests`."""

    task: TaskRecord
    session: SessionSnapshot | None
    requests: GenerationRequests


class TaskRepository(Protocol):
    """Tasks inside a transaction: each move commits with the events that cause it."""

    async def lock_for_event(self, request_event_id: UUID) -> TaskRecord | None:
        """The task that answers `request_event_id`, locked for this transaction."""
        ...

    async def start(self, task_id: UUID) -> None:
        """PENDING/RUNNING -> RUNNING (one more attempt); its command -> PROCESSING."""
        ...


class TaskQueries(Protocol):
    """Reads and small writes outside command transactions."""

    async def task(self, task_id: UUID, user_id: UUID) -> TaskView | None: ...

    async def start_with_session(self, request_event_id: UUID) -> StartedTask | None:
        """`start` the task that answers `request_event_id` (None when there is none, or it is
        finished or cancelled), with the task's session and its `GenerationRequests`, all in
        one statement in autocommit (issue 40); the begins of requests that arrive together
        leave together, one round trip and one commit (issue 80)."""
        ...

    async def touch(self, task_ids: list[UUID]) -> None:
        """Mark RUNNING tasks active (a heartbeat: one statement for many, no NOTIFY)."""

    async def tell(self, messages: Mapping[UUID, str]) -> None:
        """Set RUNNING tasks' messages (what a waiting or retrying generation is at), in one
        statement; it counts as activity, as `touch` does."""

    async def outline_parts(self, session_id: UUID, plan: str) -> dict[int, dict[str, Any]]:
        """The parts of a batched outline kept so far (decision 5404), by part number."""
        ...

    async def save_outline_part(self, part: OutlinePart) -> None:
        """Keep one part (a part kept already stays as it was) and move its task's progress
        with it."""

    async def forget_outline(self, session_id: UUID, plan: str) -> None:
        """Drop a plan's parts (its proposal is written)."""

    async def redrive_stale(self, older_than_seconds: float, limit: int) -> int:
        """Re-publish the request events of unfinished tasks with no activity for
        `older_than_seconds` (through the outbox, same event ids); return how many."""
        ...


#: Tasks inside a transaction.
ASYNC_TASKS: RepositoryKey[TaskRepository] = RepositoryKey("async_tasks")
