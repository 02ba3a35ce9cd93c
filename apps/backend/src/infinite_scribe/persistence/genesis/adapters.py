"""Adapters of the genesis ports: the repository (in a transaction), the queries, the inbox."""

from typing import Any
from uuid import UUID

import asyncpg

from infinite_scribe.application.ports.genesis import (
    CommandTarget,
    EventLines,
    ExistingCommand,
    KeyLookup,
    SessionSnapshot,
)
from infinite_scribe.application.ports.writes import ProposalInput
from infinite_scribe.domain.genesis import VersionTarget
from infinite_scribe.domain.version_page import PageCursor, VersionPage
from infinite_scribe.persistence.errors import translated
from infinite_scribe.persistence.genesis import event_lines, sessions as genesis_sql
from infinite_scribe.persistence.genesis.version_page import (
    session_input,
    version_page,
    version_target,
)


class PostgresGenesisRepository:
    """`GenesisRepository` on the connection of one transaction (errors translated by it)."""

    def __init__(self, connection: asyncpg.Connection) -> None:
        self.connection = connection

    async def command_target(
        self, session_id: UUID, user_id: UUID, lookup: KeyLookup | None
    ) -> CommandTarget:
        return await genesis_sql.command_target(self.connection, session_id, user_id, lookup)

    async def load(self, session_id: UUID) -> SessionSnapshot | None:
        return await genesis_sql.load_session(self.connection, session_id)

    async def version_target(
        self, session_id: UUID, event_id: UUID, user_id: UUID
    ) -> VersionTarget | None:
        return await version_target(self.connection, session_id, event_id, user_id)

    async def session_input(self, session_id: UUID) -> dict[str, Any]:
        return await session_input(self.connection, session_id)

    async def proposal_input(self, session_id: UUID, event_id: UUID) -> ProposalInput | None:
        return await proposal_input(self.connection, session_id, event_id)


class PostgresGenesisQueries:
    """`GenesisQueries` and `CommandInbox` on the pool, outside any transaction."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool

    async def snapshot(self, session_id: UUID, user_id: UUID) -> SessionSnapshot | None:
        with translated():
            return await genesis_sql.load_session(self.pool, session_id, user_id)

    async def command_target(
        self, session_id: UUID, user_id: UUID, lookup: KeyLookup | None
    ) -> CommandTarget:
        with translated():
            return await genesis_sql.command_target(self.pool, session_id, user_id, lookup)

    async def version_target(
        self, session_id: UUID, event_id: UUID, user_id: UUID
    ) -> VersionTarget | None:
        with translated():
            return await version_target(self.pool, session_id, event_id, user_id)

    async def session_input(self, session_id: UUID) -> dict[str, Any]:
        with translated():
            return await session_input(self.pool, session_id)

    async def proposal_input(self, session_id: UUID, event_id: UUID) -> ProposalInput | None:
        with translated():
            return await proposal_input(self.pool, session_id, event_id)

    async def latest_proposal_input(self, session_id: UUID) -> ProposalInput | None:
        with translated():
            return await _latest_input(self.pool, session_id)

    async def version_page(
        self, session_id: UUID, cursor: PageCursor, limit: int, max_bytes: int
    ) -> VersionPage:
        with translated():
            return await version_page(self.pool, session_id, cursor, limit, max_bytes)

    async def session_events(self, session_id: UUID, after: int, limit: int) -> list[Any]:
        with translated():
            return await genesis_sql.session_events(self.pool, session_id, after, limit)

    async def session_event_lines(
        self, session_id: UUID, after: int, limit: int, max_bytes: int
    ) -> EventLines:
        with translated():
            return await event_lines.session_event_lines(
                self.pool, session_id, after, limit, max_bytes
            )

    async def correlated_event_lines(
        self, correlation_id: UUID, user_id: UUID, after: int, limit: int, max_bytes: int
    ) -> EventLines:
        with translated():
            return await event_lines.correlated_event_lines(
                self.pool, correlation_id, user_id, after, limit, max_bytes
            )

    async def existing(
        self, aggregate_id: UUID, user_id: UUID, idempotency_key: str, command_type: str
    ) -> ExistingCommand | None:
        with translated():
            row = await genesis_sql.existing_command(
                self.pool, aggregate_id, user_id, idempotency_key, command_type
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
            row["session_id"],
        )


class PoolProbe:
    """`HealthProbe`: the database answers a trivial query."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool

    async def ping(self) -> None:
        await self.pool.fetchval("SELECT 1")


#: What a proposal was generated from (issue 55, `proposal_inputs`): read by the prompt view,
#: a regeneration's command and the worker that answers it.
_INPUT = "SELECT event_id, session_id, request, messages FROM proposal_inputs"
_ONE_INPUT = f"{_INPUT} WHERE event_id = $1 AND session_id = $2"
_LATEST_INPUT = f"{_INPUT} WHERE session_id = $1 ORDER BY created_at DESC LIMIT 1"


async def _latest_input(reader: asyncpg.Pool, session_id: UUID) -> ProposalInput | None:
    row = await reader.fetchrow(_LATEST_INPUT, session_id)
    return None if row is None else _input(row)


async def proposal_input(
    reader: asyncpg.Connection | asyncpg.Pool, session_id: UUID, event_id: UUID
) -> ProposalInput | None:
    row = await reader.fetchrow(_ONE_INPUT, event_id, session_id)
    return None if row is None else _input(row)


def _input(row: asyncpg.Record) -> ProposalInput:
    return ProposalInput(row["event_id"], row["session_id"], row["request"], row["messages"])
