"""Ports of the operator's console (issue 22): the audit log, the outbox's FAILED rows, the
dead-letter topic and its dispositions, and the pipeline's health figures."""

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol
from uuid import UUID

from infinite_scribe.application.ports.workers import WorkerBeat


@dataclass(frozen=True)
class AuditEntry:
    """One operator action: who, what (action and target), how many rows, when."""

    action_id: UUID
    actor_id: UUID
    action: str
    target: dict[str, Any]
    row_count: int
    created_at: datetime | None = None
    #: None while the action runs.
    finished_at: datetime | None = None


class AuditLog(Protocol):
    async def find(self, action_id: UUID) -> AuditEntry | None:
        """The entry recorded under `action_id`, if any."""
        ...

    async def claim(self, entry: AuditEntry) -> AuditEntry | None:
        """Record the action as started; None when this call recorded it, else the entry
        already stored under its `action_id` (unchanged)."""
        ...

    async def complete(
        self, action_id: UUID, row_count: int, outcome: dict[str, str] | None = None
    ) -> AuditEntry:
        """The action ran: its row count and `finished_at`; `outcome` (what happened to each
        target, e.g. a letter re-driven or refused and why) is kept in its target."""
        ...

    async def abandon(self, action_id: UUID) -> None:
        """The action failed and changed nothing: forget the unfinished entry (a retry of the
        same form may run it again)."""
        ...

    async def recent(self, limit: int, action: str | None = None) -> list[AuditEntry]:
        """Newest first."""
        ...


@dataclass(frozen=True)
class OutboxFilter:
    """FAILED outbox rows to act on; an empty filter matches every FAILED row."""

    key: str | None = None
    topic: str | None = None
    error_class: str | None = None
    error_contains: str | None = None

    def as_target(self) -> dict[str, str]:
        return {name: value for name, value in vars(self).items() if value}


@dataclass(frozen=True)
class FailedRow:
    id: UUID
    position: int
    topic: str
    key: str | None
    event_type: str | None
    attempts: int
    last_error_class: str | None
    last_error: str | None
    history: list[dict[str, Any]]
    updated_at: datetime


@dataclass(frozen=True)
class OutboxRow:
    """One outbox row as the operator inspects it (issue 38): what it would publish."""

    id: UUID
    position: int
    event_id: UUID | None
    topic: str
    key: str | None
    status: str
    headers: dict[str, Any]
    #: The payload as indented JSON, cut at the bound the adapter was asked for.
    payload: str
    #: The payload's whole size (its JSON text, bytes): more than `payload` when cut.
    payload_bytes: int
    attempts: int
    last_error_class: str | None
    last_error: str | None
    created_at: datetime
    updated_at: datetime

    @property
    def cut(self) -> bool:
        return self.payload_bytes > len(self.payload.encode())


class OutboxAdmin(Protocol):
    async def failed(self, where: OutboxFilter, limit: int) -> list[FailedRow]: ...

    async def row(self, row_id: UUID, max_chars: int) -> OutboxRow | None:
        """One row whatever its status (its payload at most `max_chars` characters)."""
        ...

    async def discard(self, row_id: UUID) -> int:
        """Delete the row if it is FAILED (the rows its key held go on); how many went."""
        ...

    async def requeue(self, *, row_id: UUID | None, where: OutboxFilter | None) -> int:
        """FAILED -> PENDING (one row, or every row matching); how many rows moved."""
        ...


@dataclass(frozen=True)
class DeadLetterView:
    partition: int
    offset: int
    key: str | None
    error_class: str | None
    error: str | None
    original: str
    event_type: str | None
    disposition: str | None = None
    #: The envelope's event id (a generation request's id: what a replay re-drives).
    event_id: UUID | None = None
    #: Written by a worker (it names its original topic): it can be published again.
    has_origin: bool = True

    @property
    def position(self) -> str:
        return f"{self.partition}:{self.offset}"


@dataclass(frozen=True)
class DeadLetterFilter:
    key: str | None = None
    error_class: str | None = None
    text: str | None = None
    #: Also list letters already replayed or discarded.
    settled: bool = False

    def matches(self, letter: DeadLetterView) -> bool:
        if letter.disposition is not None and not self.settled:
            return False
        if self.key and letter.key != self.key:
            return False
        if self.error_class and letter.error_class != self.error_class:
            return False
        haystack = f"{letter.error} {letter.event_type} {letter.original}"
        return not self.text or self.text.lower() in haystack.lower()

    def as_target(self) -> dict[str, str]:
        return {k: str(v) for k, v in vars(self).items() if v and k != "settled"}


class DeadLetterTopic(Protocol):
    async def letters(self) -> list[DeadLetterView]:
        """Every message of the dead-letter topic (without dispositions)."""
        ...

    async def replay(self, positions: list[str]) -> int:
        """Produce these letters again to their original topic; how many were acknowledged."""
        ...


@dataclass(frozen=True)
class FailedRequest:
    """The command behind a generation request whose task failed: what a re-drive sends
    again, as its writer did."""

    task_status: str
    aggregate_type: str
    aggregate_id: UUID
    user_id: UUID
    command_type: str
    payload: dict[str, Any]
    #: A later task on the same aggregate: the writer asked again since.
    superseded: bool


class FailedRequests(Protocol):
    async def behind(self, request_event_id: UUID) -> FailedRequest | None:
        """The command and task behind a request event; None when no task answers it (the
        event is not a generation request)."""
        ...


class Dispositions(Protocol):
    async def all(self) -> dict[str, str]:
        """position -> REPLAYED | DISCARDED."""
        ...

    async def claim(self, positions: list[str], disposition: str, action_id: UUID) -> list[str]:
        """Record the disposition of letters that have none yet; the positions newly claimed."""
        ...

    async def release(self, positions: list[str], action_id: UUID) -> None:
        """Undo a claim whose replay failed (the letters can be replayed again)."""
        ...


@dataclass(frozen=True)
class PartitionLag:
    partition: int
    committed: int | None
    end: int
    lag: int
    #: Why the figure is what it is when it is not plain (a log shorter than the commit).
    note: str | None = None


@dataclass(frozen=True)
class PipelineFigures:
    """What the overview shows; a part that could not be read is None with a reason."""

    commands_per_second: float
    outbox_counts: dict[str, int]
    oldest_unpublished_seconds: float | None
    relay_per_second: float
    tasks_by_status: dict[str, int]
    running_tasks: list[dict[str, Any]] = field(default_factory=list)
    lag: list[PartitionLag] | None = None
    dead_letters: int | None = None
    workers: list[str] | None = None
    broker_error: str | None = None
    #: The agent workers that beat recently in the worker registry (None: not read).
    registered_workers: list[WorkerBeat] | None = None
    #: The relays that beat recently (their key shares' heartbeat), by id.
    relays: list[str] | None = None


class PipelineQueries(Protocol):
    async def database_figures(self, window_seconds: float) -> PipelineFigures: ...


class BrokerProbe(Protocol):
    async def lag(self) -> list[PartitionLag]: ...

    async def dead_letter_count(self) -> int: ...

    async def workers(self) -> list[str]:
        """The consumer group's members (Kafka's own heartbeat: a member is alive)."""
        ...


class EventQueries(Protocol):
    """Any user's events, for operators."""

    async def event(self, event_id: UUID) -> dict[str, Any] | None: ...

    async def flow(self, correlation_id: UUID, limit: int) -> list[dict[str, Any]]:
        """The flow's events in global order, at most `limit`."""
        ...
