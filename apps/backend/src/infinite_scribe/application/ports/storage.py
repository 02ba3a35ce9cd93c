"""Storage ports: transactions, the writes of one aggregate change, repositories, health."""

from collections.abc import Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from typing import Generic, Protocol, TypeVar
from uuid import UUID

from infinite_scribe.application.ports.writes import AggregateWrites, InboxEntry, Write
from shared_types import EventEnvelope

R = TypeVar("R")

__all__ = [
    "AggregateWrites",
    "HealthProbe",
    "InboxConflict",
    "InboxEntry",
    "Published",
    "RepositoryKey",
    "Transaction",
    "UnitOfWork",
    "Write",
]


class InboxConflict(Exception):
    """A unique index of the command inbox refused a command (same key, or one pending)."""

    def __init__(self, constraint: str | None) -> None:
        super().__init__(constraint)
        self.constraint = constraint


@dataclass(frozen=True)
class Published:
    """What an idempotent publish stored: the event, and whether it is new."""

    event: EventEnvelope
    is_new: bool


class Transaction(Protocol):
    """One database transaction: every write of a use case commits together, or none does."""

    async def write(self, write: Write) -> list[int]:
        """One aggregate change (events + outbox + its declared parts) in one statement."""
        ...

    async def append(self, events: Sequence[EventEnvelope]) -> list[int]:
        """`write` of events alone (each with its version set) with one outbox row each."""
        ...

    async def publish(self, event: EventEnvelope, *, event_id: UUID | None = None) -> Published:
        """Append idempotently by event id: a repeat returns the stored event, other content
        under the same id raises EventIdConflict."""
        ...

    def repository(self, key: "RepositoryKey[R]") -> R:
        """The adapter of an aggregate's repository port, bound to this transaction."""
        ...


@dataclass(frozen=True)
class RepositoryKey(Generic[R]):
    """Names a repository port; the composition registers an adapter factory under it."""

    name: str


class UnitOfWork(Protocol):
    """Opens transactions (REPEATABLE READ) with driver errors already translated; `writes`
    writes a change that needs nothing else in autocommit (its own one-statement transaction).
    Either way the relay is woken after the commit."""

    def transaction(self) -> AbstractAsyncContextManager[Transaction]: ...

    def autocommit(self) -> AbstractAsyncContextManager[Transaction]:
        """One connection and no transaction: reads see the latest commits, each `write` is a
        transaction of its own (a command's read and write share one pooled connection, so it
        waits for the pool once, not twice)."""
        ...

    @property
    def writes(self) -> AggregateWrites: ...


class HealthProbe(Protocol):
    async def ping(self) -> None:
        """Return when the database answers; raise otherwise."""
        ...
