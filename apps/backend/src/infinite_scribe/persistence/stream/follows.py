"""`StreamFollows` on PostgreSQL (decision 4002): the API processes record the streams they
serve (`record`: one statement for a batch, the expiry moved forward, long-expired rows swept in
passing) and agent workers ask which of the sessions they generate for are followed
(`followed`: one statement for all of them). The table is UNLOGGED and holds one short row per
followed stream."""

from collections.abc import Collection
from uuid import UUID

import asyncpg

from infinite_scribe.persistence.errors import translated

# Sorted ids: two API processes recording overlapping sets lock the rows in the same order.
# The sweep is bounded by the table's size (the followed streams of the deployment), skips rows
# another process holds and leaves this statement's own rows alone: it never waits.
_RECORD = """
WITH swept AS (
    DELETE FROM stream_follows WHERE session_id IN (
        SELECT session_id FROM stream_follows
        WHERE expires_at < now() - interval '1 minute' AND session_id <> ALL($1::uuid[])
        FOR UPDATE SKIP LOCKED
    )
)
INSERT INTO stream_follows (session_id, expires_at)
SELECT id, now() + make_interval(secs => $2::float8)
FROM unnest($1::uuid[]) AS id ORDER BY id
ON CONFLICT (session_id) DO UPDATE SET expires_at = EXCLUDED.expires_at
WHERE stream_follows.expires_at < EXCLUDED.expires_at
"""

_FOLLOWED = """
SELECT session_id FROM stream_follows WHERE session_id = ANY($1::uuid[]) AND expires_at > now()
"""


def _ids(streams: Collection[str]) -> list[UUID]:
    """The streams' ids (a stream is a session's or a novel's id, as text); others skipped."""
    found = []
    for stream in streams:
        try:
            found.append(UUID(stream))
        except ValueError:
            continue
    return sorted(set(found))


class PostgresStreamFollows:
    """The API's side (`record`) and the workers' side (`followed`) of the follows table."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool

    async def record(self, streams: Collection[str], ttl_seconds: float) -> None:
        ids = _ids(streams)
        if ids:
            with translated():
                await self.pool.execute(_RECORD, ids, float(ttl_seconds))

    async def followed(self, streams: Collection[str]) -> set[str]:
        ids = _ids(streams)
        if not ids:
            return set()
        with translated():
            rows = await self.pool.fetch(_FOLLOWED, ids)
        return {str(row["session_id"]) for row in rows}
