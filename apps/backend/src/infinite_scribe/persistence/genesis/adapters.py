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
from infinite_scribe.persistence.genesis import sessions as genesis_sql
from infinite_scribe.persistence.genesis.version_page import (
    session_input,
    version_page,
    version_target,
)
from infinite_scribe.persistence.rows import from_row


class PostgresGenesisRepository:
    """`GenesisRepository` on one connection: a transaction's, or the queries' pool (errors
    translated here, for the pool; a transaction's translation passes ours on unchanged)."""

    def __init__(self, connection: asyncpg.Connection | asyncpg.Pool) -> None:
        self.connection = connection

    async def command_target(
        self, session_id: UUID, user_id: UUID, lookup: KeyLookup | None
    ) -> CommandTarget:
        with translated():
            return await genesis_sql.command_target(self.connection, session_id, user_id, lookup)

    async def load(self, session_id: UUID) -> SessionSnapshot | None:
        with translated():
            return await genesis_sql.load_session(self.connection, session_id)

    async def version_target(
        self, session_id: UUID, event_id: UUID, user_id: UUID
    ) -> VersionTarget | None:
        with translated():
            return await version_target(self.connection, session_id, event_id, user_id)

    async def session_input(self, session_id: UUID) -> dict[str, Any]:
        with translated():
            return await session_input(self.connection, session_id)

    async def proposal_input(self, session_id: UUID, event_id: UUID) -> ProposalInput | None:
        with translated():
            return await proposal_input(self.connection, session_id, event_id)


class PostgresGenesisQueries(PostgresGenesisRepository):
    """`GenesisQueries` and `CommandInbox` on the pool, outside any transaction: the
    repository's reads and their own."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        super().__init__(pool)
        self.pool = pool

    async def snapshot(self, session_id: UUID, user_id: UUID) -> SessionSnapshot | None:
        with translated():
            return await genesis_sql.load_session(self.pool, session_id, user_id)

    async def latest_proposal_input(self, session_id: UUID) -> ProposalInput | None:
        with translated():
            row = await self.pool.fetchrow(_LATEST_INPUT, session_id)
        return None if row is None else from_row(ProposalInput, row)

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
            rows = await self.pool.fetch(_SESSION_LINES, str(session_id), after, limit, max_bytes)
        return _lines(rows)

    async def correlated_event_lines(
        self, correlation_id: UUID, user_id: UUID, after: int, limit: int, max_bytes: int
    ) -> EventLines:
        with translated():
            rows = await self.pool.fetch(
                _FLOW_LINES, correlation_id, after, limit, max_bytes, str(user_id)
            )
        return _lines(rows)

    async def existing(
        self, aggregate_id: UUID, user_id: UUID, idempotency_key: str, command_type: str
    ) -> ExistingCommand | None:
        with translated():
            row = await self.pool.fetchrow(
                genesis_sql.EXISTING_COMMAND, aggregate_id, idempotency_key, command_type, user_id
            )
        if row is None:
            return None
        return from_row(ExistingCommand, row, {"command_id": "id", "aggregate_id": "session_id"})


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


async def proposal_input(
    reader: asyncpg.Connection | asyncpg.Pool, session_id: UUID, event_id: UUID
) -> ProposalInput | None:
    row = await reader.fetchrow(_ONE_INPUT, event_id, session_id)
    return None if row is None else from_row(ProposalInput, row)


# Pages of events as JSON text built by PostgreSQL and cut at a byte bound there (issue 49): a
# page of big payloads is never decoded into Python objects, only joined. On 5af61bc a page of
# 500 big events took 14 s of the loop and 1.6 GB for a 38.8 MB answer.
# The `EventOut` object of a row (occurred_at: the commit time, ISO 8601 with its offset).
_LINE = """json_build_object(
    'id', id, 'event_id', event_id, 'event_type', event_type, 'event_version', event_version,
    'aggregate_type', aggregate_type, 'aggregate_id', aggregate_id,
    'aggregate_version', aggregate_version, 'correlation_id', correlation_id,
    'causation_id', causation_id, 'payload', payload, 'metadata', metadata,
    'occurred_at', created_at)::text"""


def _paged(where: str, position: str) -> str:
    """$2: after, $3: limit, $4: max bytes. One row past `limit` is read to tell whether
    there is more; rows stop at the one whose JSON reaches the byte bound."""
    return f"""
WITH page AS (
    SELECT {position} AS position, {_LINE} AS line FROM domain_events
    WHERE {where} AND {position} > $2 ORDER BY {position} LIMIT $3 + 1
), sized AS (
    SELECT position, line, count(*) OVER () AS fetched,
           sum(octet_length(line)) OVER (ORDER BY position) - octet_length(line) AS before
    FROM page
)
SELECT position, line, fetched FROM sized WHERE before < $4 ORDER BY position LIMIT $3
"""


_SESSION_LINES = _paged(
    "aggregate_type = 'GENESIS_SESSION' AND aggregate_id = $1", "aggregate_version"
)
_FLOW_LINES = _paged("correlation_id = $1 AND metadata->>'user_id' = $5", "id")


def _lines(rows: list[asyncpg.Record]) -> EventLines:
    more = bool(rows) and rows[0]["fetched"] > len(rows)
    return EventLines([row["line"] for row in rows], rows[-1]["position"] if more else None)
