"""Adapters of the genesis ports: the repository (in a transaction), the queries, the inbox."""

from typing import Any, Protocol
from uuid import UUID

import asyncpg

from infinite_scribe.application.ports.storage import (
    ExistingCommand,
    InboxEntry,
    SessionSnapshot,
)
from infinite_scribe.domain.genesis import GenesisState
from infinite_scribe.domain.novel import NovelBible
from infinite_scribe.persistence import genesis_sessions as genesis_sql
from infinite_scribe.persistence import novels as novels_sql
from infinite_scribe.persistence.errors import translated
from infinite_scribe.persistence.event_store import EventStore
from shared_types import DomainEventRow, EventEnvelope


class DeferredEvents(Protocol):
    """The part of the transaction that hands over events appended with `defer=True`."""

    @property
    def store(self) -> EventStore: ...

    def take_deferred(self) -> list[EventEnvelope]: ...


class PostgresGenesisRepository:
    """`GenesisRepository` on the connection of one transaction (errors translated by it)."""

    def __init__(self, connection: asyncpg.Connection) -> None:
        self.connection = connection
        self._tx: DeferredEvents | None = None

    def bind_transaction(self, tx: DeferredEvents) -> None:
        """Deferred events of `tx` are written with the next snapshot save (one statement)."""
        self._tx = tx

    async def insert_command_and_load(self, entry: InboxEntry) -> SessionSnapshot | None:
        return await genesis_sql.insert_command_and_load(
            self.connection,
            session_id=entry.aggregate_id,
            user_id=entry.user_id,
            command_id=entry.command_id,
            command_type=entry.command_type,
            idempotency_key=entry.idempotency_key,
            payload=entry.payload,
            status=entry.status,
        )

    async def load(self, session_id: UUID) -> SessionSnapshot | None:
        return await genesis_sql.load_session(self.connection, session_id)

    async def insert(self, state: GenesisState) -> None:
        await genesis_sql.insert_session(self.connection, state)

    async def save(self, old_version: int, state: GenesisState) -> bool:
        events = self._tx.take_deferred() if self._tx is not None else []
        if events and self._tx is not None:
            return await genesis_sql.append_and_update_snapshot(
                self.connection, self._tx.store, events, old_version, state
            )
        return await genesis_sql.update_snapshot(self.connection, old_version, state)

    async def supersede_pending(self, session_id: UUID, by_command_type: str) -> None:
        await genesis_sql.supersede_pending(self.connection, session_id, by_command_type)

    async def complete_command(self, command_id: UUID, session_id: UUID) -> None:
        await genesis_sql.complete_command(self.connection, command_id, session_id)

    async def insert_novel(self, novel_id: UUID, user_id: UUID, bible: NovelBible) -> None:
        await novels_sql.insert_novel(self.connection, novel_id, user_id, bible)


class PostgresGenesisQueries:
    """`GenesisQueries` and `CommandInbox` on the pool, outside any transaction."""

    def __init__(self, pool: asyncpg.Pool, store: EventStore) -> None:
        self.pool = pool
        self.store = store

    async def snapshot(self, session_id: UUID, user_id: UUID) -> SessionSnapshot | None:
        with translated():
            return await genesis_sql.load_session(self.pool, session_id, user_id)

    async def session_events(self, session_id: UUID, after: int, limit: int) -> list[Any]:
        with translated():
            return await genesis_sql.session_events(self.pool, session_id, after, limit)

    async def correlated_events(
        self, correlation_id: UUID, user_id: UUID, after: int, limit: int
    ) -> list[Any]:
        with translated():
            return await genesis_sql.correlated_events(
                self.pool, correlation_id, user_id, after, limit
            )

    async def aggregate_events(
        self, aggregate_type: str, aggregate_id: str
    ) -> list[DomainEventRow]:
        with translated():
            return await self.store.load(self.pool, aggregate_type, aggregate_id)

    async def existing(
        self, aggregate_id: UUID, idempotency_key: str, command_type: str
    ) -> ExistingCommand | None:
        with translated():
            row = await genesis_sql.existing_command(
                self.pool, aggregate_id, idempotency_key, command_type
            )
        if row is None:
            return None
        return ExistingCommand(
            row["id"],
            row["command_type"],
            row["status"],
            row["correlation_id"],
            row["same_key"],
            row["task_id"],
        )


class PoolProbe:
    """`HealthProbe`: the database answers a trivial query."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool

    async def ping(self) -> None:
        await self.pool.fetchval("SELECT 1")
