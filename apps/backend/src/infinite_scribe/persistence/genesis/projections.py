"""SQL of the projection rebuild: lock a `genesis_sessions` row, read its events, rewrite it."""

from typing import Any
from uuid import UUID

import asyncpg

from infinite_scribe.application.ports.projections import ProjectedRow
from infinite_scribe.domain.genesis import AGGREGATE_TYPE, resolved
from infinite_scribe.domain.version_page import RESTORES
from infinite_scribe.persistence.errors import translated
from infinite_scribe.persistence.event_store import load_events
from infinite_scribe.persistence.genesis.restores import restores_of
from shared_types import DomainEventRow

#: The columns a rebuild owns (created_at/updated_at are bookkeeping, not state).
PROJECTED_COLUMNS = (
    "user_id",
    "status",
    "current_stage",
    "confirmed_data",
    "pending_command_type",
    "last_result",
    "novel_id",
    "version",
    "trashed_at",
    "branched_from",
    "codex",
)

_UPSERT = """
INSERT INTO genesis_sessions (
    id, user_id, status, current_stage, confirmed_data, pending_command_type, last_result,
    novel_id, version, trashed_at, created_at, branched_from, codex
) VALUES ($1, $2, $3::genesis_status, $4::genesis_stage, $5, $6, $7, $8, $9, $10, $11, $12, $13)
ON CONFLICT (id) DO UPDATE SET
    user_id = EXCLUDED.user_id, status = EXCLUDED.status,
    current_stage = EXCLUDED.current_stage, confirmed_data = EXCLUDED.confirmed_data,
    pending_command_type = EXCLUDED.pending_command_type, last_result = EXCLUDED.last_result,
    novel_id = EXCLUDED.novel_id, version = EXCLUDED.version, trashed_at = EXCLUDED.trashed_at,
    branched_from = EXCLUDED.branched_from, codex = EXCLUDED.codex, updated_at = now()
"""


class PostgresProjectionRepository:
    """`ProjectionRepository` on the connection of one (REPEATABLE READ) transaction."""

    def __init__(self, connection: asyncpg.Connection) -> None:
        self.connection = connection

    async def lock_row(self, session_id: UUID) -> dict[str, Any] | None:
        # FOR UPDATE: a command that moves the row meanwhile waits for the rebuild (or the
        # rebuild gets a serialization failure and runs again), so it never writes stale state.
        row = await self.connection.fetchrow(
            f"SELECT {', '.join(PROJECTED_COLUMNS)} FROM genesis_sessions WHERE id = $1 FOR UPDATE",
            session_id,
        )
        if row is None:
            return None
        values = dict(row)
        values["status"] = str(values["status"])
        values["current_stage"] = str(values["current_stage"])
        return values

    async def events(self, session_id: UUID) -> list[DomainEventRow]:
        """The session's events, each restore with the state its row holds (decision 5403)."""
        events = await load_events(self.connection, AGGREGATE_TYPE, str(session_id))
        at = [e.aggregate_version for e in events if e.event_type in RESTORES]
        restores = await restores_of(self.connection, session_id, at)
        return [
            e.model_copy(update={"payload": resolved(e.payload, restores[e.aggregate_version])})
            if e.aggregate_version in restores
            else e
            for e in events
        ]

    async def write(self, session_id: UUID, expected: ProjectedRow | None) -> None:
        if expected is None:
            await self.connection.execute("DELETE FROM genesis_sessions WHERE id = $1", session_id)
            return
        state = expected.state
        await self.connection.execute(
            _UPSERT,
            session_id,
            state.user_id,
            state.status.value,
            state.current_stage.value,
            dict(state.confirmed_data),
            state.pending_command_type,
            None if state.last_result is None else dict(state.last_result),
            state.novel_id,
            state.version,
            expected.trashed_at,
            expected.created_at,
            None if state.branched_from is None else dict(state.branched_from),
            dict(state.codex),
        )


class PostgresProjectionQueries:
    """`ProjectionQueries` on the pool."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool

    async def session_ids(self) -> list[UUID]:
        with translated():
            rows = await self.pool.fetch(
                "SELECT aggregate_id::uuid AS id FROM domain_events WHERE aggregate_type = $1 "
                "GROUP BY aggregate_id UNION SELECT id FROM genesis_sessions ORDER BY id",
                AGGREGATE_TYPE,
            )
        return [row["id"] for row in rows]
