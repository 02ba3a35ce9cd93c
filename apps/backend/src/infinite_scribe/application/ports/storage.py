"""Storage ports: transactions, aggregate repositories and read queries."""

from collections.abc import Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, Protocol, TypeVar
from uuid import UUID

from infinite_scribe.domain.genesis import GenesisState
from infinite_scribe.domain.novel import NovelBible
from shared_types import DomainEventRow, EventEnvelope

R = TypeVar("R")


class InboxConflict(Exception):
    """A unique index of the command inbox refused a command (same key, or one pending)."""

    def __init__(self, constraint: str | None) -> None:
        super().__init__(constraint)
        self.constraint = constraint


@dataclass(frozen=True)
class InboxEntry:
    """The `command_inbox` row a command writes in its transaction."""

    command_id: UUID
    aggregate_id: UUID
    user_id: UUID
    command_type: str
    idempotency_key: str
    payload: dict[str, Any]
    status: str


@dataclass(frozen=True)
class ExistingCommand:
    """The inbox row a new command collided with."""

    command_id: UUID
    command_type: str
    status: str
    correlation_id: UUID
    same_key: bool
    #: Its async task (None for a sync command).
    task_id: UUID | None = None


@dataclass(frozen=True)
class Published:
    """What an idempotent publish stored: the event, and whether it is new."""

    event: EventEnvelope
    is_new: bool


@dataclass(frozen=True)
class SessionSnapshot:
    """A genesis session's snapshot row; `trashed` says it sits in the trash."""

    state: GenesisState
    trashed: bool
    #: Since when it sits in the trash (None: not trashed).
    trashed_at: datetime | None = None


class Transaction(Protocol):
    """One database transaction: every write of a use case commits together, or none does."""

    async def append(self, events: Sequence[EventEnvelope], *, defer: bool = False) -> list[int]:
        """Append events (versions set) with one outbox row each; wakes the relay on commit.

        `defer=True` (the command path): the rows may be written later in this transaction, in
        one statement with the aggregate's snapshot save, at the latest before the commit; the
        global ids are then not known here and [] is returned."""
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
    """Opens transactions (REPEATABLE READ) with driver errors already translated."""

    def transaction(self) -> AbstractAsyncContextManager[Transaction]: ...


class CommandInbox(Protocol):
    """Reads of the command inbox outside any transaction."""

    async def existing(
        self, aggregate_id: UUID, idempotency_key: str, command_type: str
    ) -> ExistingCommand | None:
        """The command a new one collided with: same key first, else the pending same type."""
        ...


class GenesisRepository(Protocol):
    """The genesis session aggregate inside a transaction (snapshot table + its inbox rows)."""

    async def insert_command_and_load(self, entry: InboxEntry) -> SessionSnapshot | None:
        """Insert the inbox row and read the snapshot in one statement (None: not the user's)."""
        ...

    async def load(self, session_id: UUID) -> SessionSnapshot | None: ...

    async def insert(self, state: GenesisState) -> None: ...

    async def save(self, old_version: int, state: GenesisState) -> bool:
        """Write the snapshot if it is still at `old_version`; False when somebody moved it."""
        ...

    async def supersede_pending(self, session_id: UUID, by_command_type: str) -> None: ...

    async def complete_command(self, command_id: UUID, session_id: UUID) -> None: ...

    async def insert_novel(self, novel_id: UUID, user_id: UUID, bible: NovelBible) -> None:
        """Create the novel a finished session made, with every confirmed stage."""
        ...


class GenesisQueries(Protocol):
    """Reads for genesis sessions and their events (no transaction; errors translated)."""

    async def snapshot(self, session_id: UUID, user_id: UUID) -> SessionSnapshot | None: ...

    async def session_events(self, session_id: UUID, after: int, limit: int) -> list[Any]:
        """Rows with the columns of `EventOut`, in aggregate-version order."""
        ...

    async def correlated_events(
        self, correlation_id: UUID, user_id: UUID, after: int, limit: int
    ) -> list[Any]: ...

    async def aggregate_events(
        self, aggregate_type: str, aggregate_id: str
    ) -> list[DomainEventRow]:
        """Every event of one aggregate in version order (the input of a replay)."""
        ...


class HealthProbe(Protocol):
    async def ping(self) -> None:
        """Return when the database answers; raise otherwise."""
        ...


#: The genesis session aggregate's repository.
GENESIS_SESSIONS: RepositoryKey[GenesisRepository] = RepositoryKey("genesis_sessions")
