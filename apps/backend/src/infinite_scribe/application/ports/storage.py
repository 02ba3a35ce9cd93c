"""Storage ports: transactions, the writes of one aggregate change, repositories, health."""

from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from typing import Generic, Protocol, TypeVar

from infinite_scribe.application.ports.writes import AggregateWrites, InboxEntry, Write

R = TypeVar("R")

__all__ = [
    "HealthProbe",
    "InboxConflict",
    "InboxEntry",
    "RepositoryKey",
    "Transaction",
    "UnitOfWork",
]


class InboxConflict(Exception):
    """A unique index of the command inbox refused a command (same key, or one pending)."""

    def __init__(self, constraint: str | None) -> None:
        super().__init__(constraint)
        self.constraint = constraint


class Transaction(Protocol):
    """One database transaction: every write of a use case commits together, or none does."""

    async def write(self, write: Write) -> list[int]:
        """One aggregate change (events + outbox + its declared parts) in one statement."""
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
        transaction of its own."""
        ...

    @property
    def writes(self) -> AggregateWrites: ...


class HealthProbe(Protocol):
    async def ping(self) -> None:
        """Return when the database answers; raise otherwise."""
        ...
