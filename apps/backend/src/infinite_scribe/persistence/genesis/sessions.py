"""SQL reads of genesis sessions: the snapshot (with a command's idempotency record), the
command inbox, and their events. Their writes are `Write` parts (persistence/writes/parts.py).

Every function runs on the caller's connection or pool.
"""

import functools
from uuid import UUID

import asyncpg

from infinite_scribe.application.ports.genesis import (
    CommandTarget,
    ExistingCommand,
    KeyLookup,
    KeyRecord,
    SessionSnapshot,
)
from infinite_scribe.application.ports.idempotency import StoredResponse
from infinite_scribe.domain.genesis import GenesisState
from infinite_scribe.persistence.event_store import EVENT_COLUMNS
from infinite_scribe.persistence.rows import from_row
from shared_types.enums import GenesisStage, GenesisStatus

#: The snapshot's columns as `snapshot_of` reads them (the agent's begin reads them too).
SNAPSHOT_COLUMNS = (
    "id, user_id, status::text AS status, current_stage::text AS current_stage, confirmed_data, "
    "pending_command_type, last_result, novel_id, version, branched_from, codex, "
    "trashed_at IS NOT NULL AS trashed, trashed_at, archived_at IS NOT NULL AS archived"
)

# A command's one read: the user's session (trashed ones too: whether a command may run on one
# is the handler's decision) and nothing else. A missing or foreign session reads as no row, so
# a stranger's command writes nothing and learns nothing (404, never 409).
_COMMAND_TARGET = f"SELECT {SNAPSHOT_COLUMNS} FROM genesis_sessions WHERE id = $1 AND user_id = $2"


@functools.cache
def keyed_target(target: str) -> str:
    """`target` (a query of one row or none, with the user as $2) read with its key's records
    in the same round trip: another route's live answer or claim ($3, $4: the cache's scope and
    key) and the user's command that holds the key (its inbox row, decision 7204). A LEFT JOIN
    each: any may be missing. Expired cache records read as none: a claim takes them over."""
    return f"""
SELECT s.*, k.fingerprint AS key_fingerprint, k.state::text AS key_state,
       k.response_status, k.response_headers, k.response_body,
       GREATEST(extract(epoch FROM k.lease_expires_at - now()), 0)::float8 AS key_remaining,
       i.id AS key_command, i.command_type AS key_command_type, i.status::text AS key_status,
       i.correlation_id AS key_correlation, i.session_id AS key_aggregate,
       COALESCE(i.request_fingerprint, '') AS key_request,
       CASE WHEN i.id IS NOT NULL THEN
           (SELECT t.id FROM async_tasks t WHERE t.triggered_by_command_id = i.id)
       END AS key_task
FROM (SELECT 1) AS one
LEFT JOIN ({target}) AS s ON true
LEFT JOIN idempotency_cache AS k
    ON k.scope = $3 AND k.key = $4
   AND ((k.state = 'COMPLETED' AND k.expires_at > now())
     OR (k.state = 'IN_PROGRESS' AND k.lease_expires_at > now()))
LEFT JOIN command_inbox AS i ON i.user_id = $2 AND i.idempotency_key = $4
"""


# The command a unique violation collided with ($1 the session, $2 the key, $3 the command
# type, $4 the user), read committed (outside the failed transaction): the conflicting command
# has committed by the time its unique violation reached us, so it is visible here. The user's
# command with the key wins (a key is the user's: it may be another session's), else the
# session's pending twin of the same type.
EXISTING_COMMAND = """
SELECT id, command_type, status::text AS status, correlation_id, session_id,
       (idempotency_key = $2 AND user_id = $4) IS TRUE AS same_key,
       (SELECT t.id FROM async_tasks t WHERE t.triggered_by_command_id = c.id) AS task_id
FROM command_inbox c
WHERE (user_id = $4 AND idempotency_key = $2)
   OR (session_id = $1 AND command_type = $3 AND status IN ('RECEIVED', 'PROCESSING'))
ORDER BY (idempotency_key = $2 AND user_id = $4) IS TRUE DESC
LIMIT 1
"""


def snapshot_of(row: asyncpg.Record) -> SessionSnapshot:
    return SessionSnapshot(
        state_of(row),
        trashed=bool(row["trashed"]),
        trashed_at=row["trashed_at"],
        archived=bool(row["archived"]),
    )


def state_of(row: asyncpg.Record) -> GenesisState:
    return from_row(
        GenesisState,
        row,
        {"session_id": "id"},
        status=GenesisStatus(row["status"]),
        current_stage=GenesisStage(row["current_stage"]),
        codex=row.get("codex") or {},
    )


async def command_target(
    connection: asyncpg.Connection | asyncpg.Pool,
    session_id: UUID,
    user_id: UUID,
    lookup: KeyLookup | None,
) -> CommandTarget:
    """The session a command acts on (None: not the user's) and its key's live record."""
    row, record = await target_row(connection, _COMMAND_TARGET, session_id, user_id, lookup)
    return CommandTarget(None if row is None else snapshot_of(row), record)


async def target_row(
    connection: asyncpg.Connection | asyncpg.Pool,
    target: str,
    aggregate_id: UUID,
    user_id: UUID,
    lookup: KeyLookup | None,
) -> tuple[asyncpg.Record | None, KeyRecord | None]:
    """A command's one read: the row of `target` ($1: the aggregate, $2: the user; None: not
    the user's) and, for a keyed command (`lookup`), its key's live record, in the same round
    trip (`keyed_target`)."""
    if lookup is None:
        return await connection.fetchrow(target, aggregate_id, user_id), None
    keyed = keyed_target(target)
    row = await connection.fetchrow(keyed, aggregate_id, user_id, lookup.scope, lookup.key)
    assert row is not None  # (SELECT 1) LEFT JOIN ...: always one row
    return (None if row["id"] is None else row), record_of(row)


def record_of(row: asyncpg.Record) -> KeyRecord | None:
    """The key's record a `keyed_target` read found: another route's, else its command's (a
    command sent without the client's key, or before decision 7204, has no fingerprint: ''
    matches no request, so its key is refused, never replayed as another request's)."""
    if row["key_fingerprint"] is None:
        if row["key_command"] is None:
            return None
        command = ExistingCommand(
            row["key_command"],
            row["key_command_type"],
            row["key_status"],
            row["key_correlation"],
            same_key=True,
            task_id=row["key_task"],
            aggregate_id=row["key_aggregate"],
        )
        return KeyRecord(row["key_request"], None, command=command)
    if row["key_state"] != "COMPLETED":
        return KeyRecord(row["key_fingerprint"], None, float(row["key_remaining"]))
    headers = [(str(name), str(value)) for name, value in row["response_headers"] or []]
    response = StoredResponse(row["response_status"], headers, bytes(row["response_body"]))
    return KeyRecord(row["key_fingerprint"], response)


async def load_session(
    connection: asyncpg.Connection | asyncpg.Pool, session_id: UUID, user_id: UUID | None = None
) -> SessionSnapshot | None:
    row = await connection.fetchrow(
        f"SELECT {SNAPSHOT_COLUMNS} FROM genesis_sessions "
        "WHERE id = $1 AND ($2::uuid IS NULL OR user_id = $2)",
        session_id,
        user_id,
    )
    return None if row is None else snapshot_of(row)


async def session_events(
    connection: asyncpg.Connection | asyncpg.Pool, session_id: UUID, after: int, limit: int
) -> list[asyncpg.Record]:
    """A session's events in aggregate-version order, after version `after`."""
    return await connection.fetch(
        f"SELECT {EVENT_COLUMNS} FROM domain_events "
        "WHERE aggregate_type = 'GENESIS_SESSION' AND aggregate_id = $1 "
        "AND aggregate_version > $2 ORDER BY aggregate_version LIMIT $3",
        str(session_id),
        after,
        limit,
    )
