"""The unit of work: one REPEATABLE READ transaction that every write of a use case joins.

It implements the `UnitOfWork` and `Transaction` ports. Aggregate repositories are registered
under their port's `RepositoryKey` at composition (`repositories`), so a new aggregate adds an
adapter and a line where the unit of work is built, not a change here.
"""

from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from contextlib import asynccontextmanager
from typing import Any, TypeVar, cast
from uuid import UUID

import asyncpg

from infinite_scribe.application.ports.storage import Published, RepositoryKey
from infinite_scribe.persistence.errors import translated
from infinite_scribe.persistence.event_bus import EventBus
from infinite_scribe.persistence.event_store import EventStore
from shared_types import EventEnvelope

R = TypeVar("R")

#: Builds a repository adapter bound to the transaction's connection.
RepositoryFactory = Callable[[asyncpg.Connection], Any]


class PostgresTransaction:
    """The `Transaction` port on one asyncpg connection inside a transaction."""

    def __init__(
        self,
        connection: asyncpg.Connection,
        store: EventStore,
        bus: EventBus,
        repositories: Mapping[RepositoryKey[Any], RepositoryFactory],
    ) -> None:
        self.connection = connection
        self._store = store
        self._bus = bus
        self._factories = repositories
        self._repositories: dict[RepositoryKey[Any], Any] = {}

    async def append(self, events: Sequence[EventEnvelope]) -> list[int]:
        return await self._store.append(self.connection, events)

    async def publish(self, event: EventEnvelope, *, event_id: UUID | None = None) -> Published:
        return await self._bus.publish_once(self.connection, event, event_id=event_id)

    def repository(self, key: RepositoryKey[R]) -> R:
        repository = self._repositories.get(key)
        if repository is None:
            repository = self._factories[key](self.connection)
            self._repositories[key] = repository
        return cast(R, repository)


class PostgresUnitOfWork:
    """Opens `PostgresTransaction`s on a pool; commits on success, errors translated."""

    def __init__(
        self,
        pool: asyncpg.Pool,
        store: EventStore,
        repositories: Mapping[RepositoryKey[Any], RepositoryFactory] | None = None,
    ) -> None:
        self.pool = pool
        self.store = store
        self.bus = EventBus(store)
        self.repositories = dict(repositories or {})

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[PostgresTransaction]:
        with translated():
            async with (
                self.pool.acquire() as connection,
                connection.transaction(isolation="repeatable_read"),
            ):
                yield PostgresTransaction(connection, self.store, self.bus, self.repositories)
