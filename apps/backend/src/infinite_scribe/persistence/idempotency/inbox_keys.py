"""Freeing an idempotency key in the command inbox, for `scribe idempotency invalidate`.

The inbox replays a command sent again with the same key for the same session (its unique
index on (session_id, idempotency_key)), so freeing the HTTP cache alone would not make the
command run again. Releasing renames the key of the user's finished commands (the rows stay,
as history): the next command with the key is a new one. A command still RECEIVED or
PROCESSING keeps its key, as a running HTTP claim does.
"""

from uuid import UUID

import asyncpg

from infinite_scribe.persistence.errors import translated

# An ops command, rare: no index on (user_id, idempotency_key) is worth its write cost, so this
# scans command_inbox; the suffix keeps every renamed key unique per session.
_RELEASE = """
UPDATE command_inbox
SET idempotency_key = idempotency_key || ':invalidated:' || id::text, updated_at = now()
WHERE user_id = $1 AND idempotency_key = $2 AND status IN ('COMPLETED', 'FAILED')
"""


async def release_inbox_key(connection: asyncpg.Connection, user_id: UUID, key: str) -> int:
    """Free `key` for the user's finished commands; returns how many were released."""
    with translated():
        result = await connection.execute(_RELEASE, user_id, key)
    return int(result.split()[-1])
