"""SQL for genesis sessions: the snapshot row, the command inbox, and reading their events.

Every function runs on the caller's connection, inside the caller's transaction.
"""

import re
from collections.abc import Sequence
from typing import Any
from uuid import UUID

import asyncpg

from infinite_scribe.application.ports.storage import SessionSnapshot
from infinite_scribe.domain.genesis import GenesisState
from infinite_scribe.persistence.event_store import THEN_FIRST_PARAMETER, EventStore
from shared_types import EventEnvelope
from shared_types.enums import GenesisStage, GenesisStatus

_SNAPSHOT_COLUMNS = (
    "id, user_id, status::text AS status, current_stage::text AS current_stage, confirmed_data, "
    "pending_command_type, last_result, novel_id, version, "
    "trashed_at IS NOT NULL AS trashed, trashed_at"
)

# The inbox row is inserted only when the session exists and belongs to the user, so a
# stranger's command can never touch (or learn about, via a unique violation) another user's
# session. A trashed session is loaded too: whether a command may run on it is the handler's
# decision (today none may; a Restore will), and a refused command rolls its inbox row back.
# Under REPEATABLE READ the snapshot read here is the transaction's snapshot; a concurrent
# identical command blocks on the partial unique index until the first commits and
# then fails with a unique violation, which is how duplicates are detected (no read-then-write).
_INSERT_COMMAND_AND_LOAD = f"""
WITH session AS (
    SELECT {_SNAPSHOT_COLUMNS} FROM genesis_sessions
    WHERE id = $1 AND user_id = $2
), inserted AS (
    INSERT INTO command_inbox (
        id, session_id, user_id, command_type, idempotency_key, correlation_id, payload, status
    )
    SELECT $3, id, $2, $4, $5, $3, $6, $7::command_status FROM session
    RETURNING id
)
SELECT session.*, (SELECT count(*) FROM inserted) AS inserted FROM session
"""

_UPDATE_SNAPSHOT = """
UPDATE genesis_sessions
SET status = $3::genesis_status, current_stage = $4::genesis_stage, confirmed_data = $5,
    pending_command_type = $6, last_result = $7, novel_id = $8, version = $9
WHERE id = $1 AND version = $2
"""

# The same update as the last part of the events' append statement (one round trip for both):
# its parameters follow the append's.
_UPDATE_SNAPSHOT_AFTER_APPEND = (
    re.sub(r"\$(\d+)", lambda m: f"${int(m.group(1)) + THEN_FIRST_PARAMETER - 1}", _UPDATE_SNAPSHOT)
    + "RETURNING 1"
)

# Read committed (outside the failed transaction): the conflicting command has committed by the
# time its unique violation reached us, so it is visible here. An idempotency-key match wins.
_EXISTING_COMMAND = """
SELECT id, command_type, status::text AS status, correlation_id,
       idempotency_key = $2 AS same_key,
       (SELECT t.id FROM async_tasks t WHERE t.triggered_by_command_id = c.id) AS task_id
FROM command_inbox c
WHERE session_id = $1
  AND (idempotency_key = $2 OR (command_type = $3 AND status IN ('RECEIVED', 'PROCESSING')))
ORDER BY (idempotency_key = $2) DESC
LIMIT 1
"""


def snapshot_of(row: asyncpg.Record) -> SessionSnapshot:
    return SessionSnapshot(
        state_of(row), trashed=bool(row["trashed"]), trashed_at=row["trashed_at"]
    )


def state_of(row: asyncpg.Record) -> GenesisState:
    return GenesisState(
        session_id=row["id"],
        user_id=row["user_id"],
        status=GenesisStatus(row["status"]),
        current_stage=GenesisStage(row["current_stage"]),
        confirmed_data=row["confirmed_data"],
        pending_command_type=row["pending_command_type"],
        last_result=row["last_result"],
        novel_id=row["novel_id"],
        version=row["version"],
    )


async def insert_session(connection: asyncpg.Connection, state: GenesisState) -> None:
    await connection.execute(
        "INSERT INTO genesis_sessions (id, user_id, version) VALUES ($1, $2, $3)",
        state.session_id,
        state.user_id,
        state.version,
    )


async def insert_command_and_load(
    connection: asyncpg.Connection,
    *,
    session_id: UUID,
    user_id: UUID,
    command_id: UUID,
    command_type: str,
    idempotency_key: str,
    payload: dict[str, Any],
    status: str,
) -> SessionSnapshot | None:
    """Insert the inbox row and return the session snapshot (None: no such session for user;
    a trashed session is returned, marked, and its inbox row is inserted all the same)."""
    row = await connection.fetchrow(
        _INSERT_COMMAND_AND_LOAD,
        session_id,
        user_id,
        command_id,
        command_type,
        idempotency_key,
        payload,
        status,
    )
    return None if row is None else snapshot_of(row)


def _snapshot_args(old_version: int, state: GenesisState) -> tuple[Any, ...]:
    return (
        state.session_id,
        old_version,
        state.status.value,
        state.current_stage.value,
        dict(state.confirmed_data),
        state.pending_command_type,
        None if state.last_result is None else dict(state.last_result),
        state.novel_id,
        state.version,
    )


async def update_snapshot(
    connection: asyncpg.Connection, old_version: int, state: GenesisState
) -> bool:
    """Write the new snapshot if nobody changed it since `old_version`; False otherwise."""
    result = await connection.execute(_UPDATE_SNAPSHOT, *_snapshot_args(old_version, state))
    return bool(result == "UPDATE 1")


async def append_and_update_snapshot(
    connection: asyncpg.Connection,
    store: EventStore,
    events: Sequence[EventEnvelope],
    old_version: int,
    state: GenesisState,
) -> bool:
    """`store.append(events)` and `update_snapshot` in one statement (the command path)."""
    updated = await store.append_then(
        connection, events, _UPDATE_SNAPSHOT_AFTER_APPEND, *_snapshot_args(old_version, state)
    )
    return updated == 1


async def supersede_pending(
    connection: asyncpg.Connection, session_id: UUID, by_command_type: str
) -> None:
    """Close the session's pending async commands and cancel their tasks: confirming or
    abandoning makes them moot, and leaving them RECEIVED would block the next stage's request
    (partial unique index). A worker still generating for such a task writes no proposal."""
    await connection.execute(
        "WITH tasks AS (UPDATE async_tasks SET status = 'CANCELLED', message = $2, "
        "finished_at = clock_timestamp() "
        "WHERE session_id = $1 AND status IN ('PENDING', 'RUNNING')) "
        "UPDATE command_inbox SET status = 'FAILED', error_message = $2 "
        "WHERE session_id = $1 AND status IN ('RECEIVED', 'PROCESSING')",
        session_id,
        f"Superseded by {by_command_type}",
    )


async def existing_command(
    connection: asyncpg.Connection | asyncpg.Pool,
    session_id: UUID,
    idempotency_key: str,
    command_type: str,
) -> asyncpg.Record | None:
    """The command a unique violation collided with: same idempotency key, or pending same type."""
    return await connection.fetchrow(_EXISTING_COMMAND, session_id, idempotency_key, command_type)


async def load_snapshot(
    connection: asyncpg.Connection | asyncpg.Pool, session_id: UUID, user_id: UUID | None = None
) -> GenesisState | None:
    """The session's snapshot (trashed or not); with `user_id`, only if it is that user's."""
    snapshot = await load_session(connection, session_id, user_id)
    return None if snapshot is None else snapshot.state


async def load_session(
    connection: asyncpg.Connection | asyncpg.Pool, session_id: UUID, user_id: UUID | None = None
) -> SessionSnapshot | None:
    row = await connection.fetchrow(
        f"SELECT {_SNAPSHOT_COLUMNS} FROM genesis_sessions "
        "WHERE id = $1 AND ($2::uuid IS NULL OR user_id = $2)",
        session_id,
        user_id,
    )
    return None if row is None else snapshot_of(row)


async def complete_command(
    connection: asyncpg.Connection, command_id: UUID, session_id: UUID
) -> None:
    """The async command a proposal answers is done (it no longer blocks the next one)."""
    await connection.execute(
        "UPDATE command_inbox SET status = 'COMPLETED' "
        "WHERE id = $1 AND session_id = $2 AND status IN ('RECEIVED', 'PROCESSING')",
        command_id,
        session_id,
    )


_EVENT_COLUMNS = (
    "id, event_id, event_type, event_version, aggregate_type, aggregate_id, aggregate_version, "
    "correlation_id, causation_id, payload, metadata, created_at"
)


async def session_events(
    connection: asyncpg.Connection | asyncpg.Pool, session_id: UUID, after: int, limit: int
) -> list[asyncpg.Record]:
    """A session's events in aggregate-version order, after version `after`."""
    return await connection.fetch(
        f"SELECT {_EVENT_COLUMNS} FROM domain_events "
        "WHERE aggregate_type = 'GENESIS_SESSION' AND aggregate_id = $1 "
        "AND aggregate_version > $2 ORDER BY aggregate_version LIMIT $3",
        str(session_id),
        after,
        limit,
    )


async def correlated_events(
    connection: asyncpg.Connection | asyncpg.Pool,
    correlation_id: UUID,
    user_id: UUID,
    after: int,
    limit: int,
) -> list[asyncpg.Record]:
    """One business flow's events in global order, limited to those the user caused."""
    return await connection.fetch(
        f"SELECT {_EVENT_COLUMNS} FROM domain_events "
        "WHERE correlation_id = $1 AND metadata->>'user_id' = $2 AND id > $3 "
        "ORDER BY id LIMIT $4",
        correlation_id,
        str(user_id),
        after,
        limit,
    )
