"""The unit of work: one REPEATABLE READ transaction that every write of a use case joins.

It implements the `UnitOfWork` and `Transaction` ports; `writes` is the same write outside a
transaction (autocommit, for a change that needs no other statement). Aggregate repositories
are registered under their port's `RepositoryKey` at composition (`repositories`), so a new
aggregate adds an adapter and a line where the unit of work is built, not a change here.

Events are appended without a NOTIFY in the transaction; after a commit that wrote outbox rows
the relay is woken by the coalescing `OutboxNotifier` (a NOTIFY per transaction would serialise
the commits, see docs/decisions/1000-relay-wakeup-coalesced-notify.md).
"""

from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager
from typing import Any, TypeVar, cast

import asyncpg

from infinite_scribe.application.ports.storage import RepositoryKey
from infinite_scribe.application.ports.writes import Write
from infinite_scribe.persistence.errors import translated
from infinite_scribe.persistence.outbox.notifier import OutboxNotifier
from infinite_scribe.persistence.outbox.rows import LOGICAL
from infinite_scribe.persistence.writes.composer import PoolWrites, WriteComposer
from infinite_scribe.persistence.writes.group_commit import DEFAULT_MAX_BATCH, GroupCommit

R = TypeVar("R")

#: Builds a repository adapter bound to the transaction's connection.
RepositoryFactory = Callable[[asyncpg.Connection], Any]


class PostgresTransaction:
    """The `Transaction` port on one asyncpg connection inside a transaction."""

    def __init__(
        self,
        connection: asyncpg.Connection,
        composer: WriteComposer,
        repositories: Mapping[RepositoryKey[Any], RepositoryFactory],
    ) -> None:
        self.connection = connection
        self._composer = composer
        self._factories = repositories
        self._repositories: dict[RepositoryKey[Any], Any] = {}
        #: Whether this transaction wrote outbox rows (the relay is woken after the commit).
        self.wrote_outbox = False

    async def write(self, write: Write) -> list[int]:
        ids = await self._composer.write(self.connection, write)
        self.wrote_outbox = self.wrote_outbox or bool(write.events)
        return ids

    def repository(self, key: RepositoryKey[R]) -> R:
        repository = self._repositories.get(key)
        if repository is None:
            repository = self._repositories[key] = self._factories[key](self.connection)
        return cast(R, repository)


class PostgresUnitOfWork:
    """Opens `PostgresTransaction`s on a pool; commits on success, errors translated."""

    def __init__(
        self,
        pool: asyncpg.Pool,
        composer: WriteComposer,
        repositories: Mapping[RepositoryKey[Any], RepositoryFactory] | None = None,
        database_url: str | None = None,
        write_batch_max: int = DEFAULT_MAX_BATCH,
        write_pool: asyncpg.Pool | None = None,
    ) -> None:
        self.pool = pool
        self.composer = composer
        self.repositories = dict(repositories or {})
        #: Wakes the relay after commits (a dedicated connection when `database_url` is given).
        self.notifier = OutboxNotifier(pool, database_url)
        #: Writes outside a transaction (autocommit: one round trip, woken relay after it),
        #: concurrent ones of one shape batched (writes/group_commit.py), on `write_pool`
        #: (database.create_write_pool: planned once) when there is one.
        writes_pool = write_pool or pool
        self.group = GroupCommit(writes_pool, write_batch_max)
        self.writes = PoolWrites(writes_pool, composer, self.group)
        self.writes.on_commit = self._committed

    def _committed(self) -> None:
        # The mode of the statement that committed (a stale one was refused by its guard).
        self.notifier.committed(rows=self.composer.outbox_mode != LOGICAL)

    async def close(self) -> None:
        """Flush the pending wake-up and close the notifier's connection (before the pool)."""
        await self.notifier.close()

    @asynccontextmanager
    async def autocommit(self) -> AsyncIterator[PostgresTransaction]:
        tx: PostgresTransaction | None = None
        try:
            with translated():
                async with self.pool.acquire() as connection:
                    tx = PostgresTransaction(connection, self.composer, self.repositories)
                    yield tx
        finally:
            # Each write committed as it ran: wake the relay (after an error that followed one
            # too).
            if tx is not None and tx.wrote_outbox:
                self._committed()

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[PostgresTransaction]:
        with translated():
            async with self.pool.acquire() as connection:
                async with connection.transaction(isolation="repeatable_read"):
                    tx = PostgresTransaction(connection, self.composer, self.repositories)
                    yield tx
                # Committed (an exception skips this): wake the relay, off the commit path.
                if tx.wrote_outbox:
                    self._committed()
