"""Adapters of the flow ports: resume handles in a transaction and outside one, event chains.

Every move of a handle happens in a REPEATABLE READ transaction under `SELECT ... FOR UPDATE`:
two movers serialize on the row, and one that read an older version of it gets a
serialization failure (-> ConcurrencyConflict -> the whole attempt runs again), so a pause and
a resume crossing each other cannot both act on the same state.
"""

from collections.abc import Mapping
from typing import Any
from uuid import UUID

import asyncpg

from infinite_scribe.application.ports.flows import FlowHandle
from infinite_scribe.persistence.errors import translated
from infinite_scribe.persistence.event_store import EVENT_COLUMNS
from infinite_scribe.persistence.rows import from_row
from shared_types.enums import HandleStatus

_COLUMNS = "id, correlation_id, status, resume_handle, resume_payload, expires_at"
_WAITING = "status IN ('PENDING_PAUSE', 'PAUSED')"
#: The waiting handle first (at most one, by the partial unique index), else the newest.
_NEWEST_FIRST = f"ORDER BY ({_WAITING}) DESC, created_at DESC, id"
#: A flow's handle ($1: its correlation id): its waiting one, else the newest.
_FLOW_HANDLE = (
    f"SELECT {_COLUMNS} FROM flow_resume_handles WHERE correlation_id = $1 {_NEWEST_FIRST} LIMIT 1"
)
#: A waiting handle past `expires_at` (and with no reply kept, which is settled instead) is
#: expired now, whether or not a sweeper has moved it yet: with `scribe api` alone none runs.
_PAST_DUE = "(resume_payload IS NULL AND expires_at <= now())"
#: The columns as a reader must see them: a past-due waiting handle reads as EXPIRED.
_READ_COLUMNS = (
    "id, correlation_id, "
    f"CASE WHEN {_WAITING} AND {_PAST_DUE} THEN 'EXPIRED' ELSE status::text END AS status, "
    "resume_handle, resume_payload, expires_at"
)


def _handle(row: asyncpg.Record | None) -> FlowHandle | None:
    if row is None:
        return None
    return from_row(
        FlowHandle,
        row,
        {"handle_id": "id", "handle": "resume_handle"},
        status=HandleStatus(row["status"]),
    )


class PostgresFlowHandles:
    """`FlowHandleRepository` on the connection of one transaction."""

    def __init__(self, connection: asyncpg.Connection) -> None:
        self.connection = connection

    async def get(self, correlation_id: str) -> FlowHandle | None:
        return _handle(await self.connection.fetchrow(_FLOW_HANDLE, correlation_id))

    async def lock(self, correlation_id: str) -> FlowHandle | None:
        return _handle(await self.connection.fetchrow(f"{_FLOW_HANDLE} FOR UPDATE", correlation_id))

    async def lock_waiting_of_session(self, session_id: UUID) -> list[FlowHandle]:
        rows = await self.connection.fetch(
            f"SELECT {_COLUMNS} FROM flow_resume_handles "
            # A past-due handle is not resumed by a reply (`IS NOT TRUE`: no expiry is none).
            f"WHERE resume_handle->>'session_id' = $1 AND {_WAITING} AND {_PAST_DUE} IS NOT TRUE "
            "ORDER BY created_at, id FOR UPDATE",
            str(session_id),
        )
        return [handle for row in rows if (handle := _handle(row)) is not None]

    async def move(
        self,
        handle_id: UUID,
        status: HandleStatus,
        *,
        resume_payload: Mapping[str, Any] | None = None,
        handle_additions: Mapping[str, Any] | None = None,
    ) -> None:
        await self.connection.execute(
            "UPDATE flow_resume_handles SET status = $2, "
            "resume_payload = COALESCE($3, resume_payload), "
            "resume_handle = resume_handle || $4 WHERE id = $1",
            handle_id,
            status.value,
            dict(resume_payload) if resume_payload is not None else None,
            dict(handle_additions or {}),
        )


class PostgresFlowQueries:
    """`FlowHandleQueries` and `EventChainQueries` on the pool."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool

    async def handle_for(self, correlation_id: str, user_id: UUID) -> FlowHandle | None:
        with translated():
            row = await self.pool.fetchrow(
                f"SELECT {_READ_COLUMNS} FROM flow_resume_handles "
                "WHERE correlation_id = $1 AND resume_handle->>'user_id' = $2 "
                f"{_NEWEST_FIRST} LIMIT 1",
                correlation_id,
                str(user_id),
            )
        return _handle(row)

    async def unsettled(self, older_than_seconds: float, limit: int) -> list[str]:
        with translated():
            rows = await self.pool.fetch(
                "SELECT correlation_id FROM flow_resume_handles WHERE status = 'PENDING_PAUSE' "
                "AND updated_at < now() - make_interval(secs => $1) ORDER BY updated_at LIMIT $2",
                older_than_seconds,
                limit,
            )
        return [row["correlation_id"] for row in rows]

    async def due(self, limit: int) -> list[str]:
        with translated():
            rows = await self.pool.fetch(
                # A kept reply is settled, never expired: leave it out, or such rows would
                # fill every batch and starve the others.
                f"SELECT correlation_id FROM flow_resume_handles WHERE {_WAITING} "
                "AND resume_payload IS NULL AND expires_at <= now() "
                "ORDER BY expires_at LIMIT $1",
                limit,
            )
        return [row["correlation_id"] for row in rows]

    async def event(self, event_id: UUID, user_id: UUID) -> Any | None:
        with translated():
            return await self.pool.fetchrow(
                f"SELECT {EVENT_COLUMNS} FROM domain_events "
                "WHERE event_id = $1 AND metadata->>'user_id' = $2",
                event_id,
                str(user_id),
            )

    async def ancestors(self, event_id: UUID, user_id: UUID, depth: int) -> list[Any]:
        # Walk causation_id up; a causation that is a command id (not an event) ends it.
        sql = f"""
            WITH RECURSIVE up AS (
                SELECT e.*, 1 AS depth FROM domain_events e
                 WHERE e.event_id = (SELECT causation_id FROM domain_events WHERE event_id = $1)
                UNION ALL
                SELECT e.*, up.depth + 1 FROM domain_events e
                  JOIN up ON e.event_id = up.causation_id
                 WHERE up.depth < $3
            )
            SELECT {EVENT_COLUMNS} FROM up WHERE metadata->>'user_id' = $2 ORDER BY depth
        """
        with translated():
            return await self.pool.fetch(sql, event_id, str(user_id), depth)

    async def descendants(self, event_id: UUID, user_id: UUID, depth: int, limit: int) -> list[Any]:
        # A recursive CTE grows one level per step (breadth first); without an ORDER BY inside,
        # the LIMIT stops the recursion early (PostgreSQL evaluates it lazily), so a huge tree
        # costs `limit` rows, not its size.
        sql = f"""
            WITH RECURSIVE down AS (
                SELECT e.*, 1 AS depth FROM domain_events e
                 WHERE e.causation_id = $1 AND e.metadata->>'user_id' = $2
                UNION ALL
                SELECT e.*, down.depth + 1 FROM domain_events e
                  JOIN down ON e.causation_id = down.event_id
                 WHERE down.depth < $3 AND e.metadata->>'user_id' = $2
            )
            SELECT {EVENT_COLUMNS}, depth FROM (SELECT * FROM down LIMIT $4) AS tree
             ORDER BY depth, id
        """
        with translated():
            return await self.pool.fetch(sql, event_id, str(user_id), depth, limit)
