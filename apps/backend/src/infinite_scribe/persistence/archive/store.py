"""`ArchiveRepository` on PostgreSQL (migration 0033, decision 5101).

Why a session's rows are locked before its events move: every append to its streams is
version-checked on one of those rows (genesis_sessions, novels, story_memory) and, for the
session and the novel, on `archived_at IS NULL` too. A writer that read the session before the
archive committed waits on the row and then finds it changed (40001: it runs again, reads the
archive flag and brings the session back first); one that committed first has its events moved
with the rest. So no append lands in the hot partition behind an archived stream, and a
version taken in the archive cannot be taken again in the hot partition.
"""

from datetime import datetime
from uuid import UUID

import asyncpg

from infinite_scribe.application.ports.archive import LockedUnit
from infinite_scribe.domain.archive import AGGREGATE_TYPE, ArchiveUnit
from infinite_scribe.domain.genesis_events import AGGREGATE_TYPE as SESSION
from infinite_scribe.persistence.errors import translated

_LOCK_SESSION = """
SELECT id, user_id, novel_id, archived_at IS NOT NULL AS archived,
       pending_command_type IS NOT NULL AS commanded
FROM genesis_sessions WHERE id = $1 FOR UPDATE
"""
_LOCK_NOVEL = "SELECT pending_chapter IS NOT NULL AS writing FROM novels WHERE id = $1 FOR UPDATE"
_LOCK_MEMORY = "SELECT 1 FROM story_memory WHERE novel_id = $1 FOR UPDATE"
# The archive stream is never archived: its head is in the hot partition.
_ARCHIVE_VERSION = """
SELECT coalesce(max(aggregate_version), 0) FROM domain_events
WHERE aggregate_type = $1 AND aggregate_id = $2 AND NOT archived
"""
_MOVE = """
SELECT coalesce(sum(move_stream_events(s.t, s.i, $3)), 0)::int
FROM unnest($1::text[], $2::text[]) AS s(t, i)
"""
_FLAG_SESSION = (
    "UPDATE genesis_sessions SET archived_at = CASE WHEN $2 THEN now() END WHERE id = $1"
)
_FLAG_NOVEL = "UPDATE novels SET archived_at = CASE WHEN $2 THEN now() END WHERE id = $1"
_SESSION_OF_NOVEL = """
SELECT id FROM genesis_sessions WHERE novel_id = $1 ORDER BY created_at, id LIMIT 1
"""
_DUE = """
SELECT s.id FROM genesis_sessions s LEFT JOIN novels n ON n.id = s.novel_id
WHERE s.archived_at IS NULL AND s.pending_command_type IS NULL AND n.pending_chapter IS NULL
  AND (($1::timestamptz IS NOT NULL AND s.status = 'COMPLETED' AND s.trashed_at IS NULL
        AND greatest(s.updated_at, n.updated_at) < $1)
    OR ($2::timestamptz IS NOT NULL AND s.trashed_at < $2))
ORDER BY s.updated_at, s.id
LIMIT $3
"""


class PostgresArchiveRepository:
    """`ArchiveRepository` on one connection (the archive's transaction)."""

    def __init__(self, connection: asyncpg.Connection) -> None:
        self.connection = connection

    async def lock(self, session_id: UUID) -> LockedUnit | None:
        with translated():
            row = await self.connection.fetchrow(_LOCK_SESSION, session_id)
            if row is None:
                return None
            unit = ArchiveUnit(row["id"], row["novel_id"])
            busy = "command" if row["commanded"] else None
            if unit.novel_id is not None:
                if await self.connection.fetchval(_LOCK_NOVEL, unit.novel_id):
                    busy = busy or "chapter"
                await self.connection.fetchval(_LOCK_MEMORY, unit.novel_id)
            version = await self.connection.fetchval(
                _ARCHIVE_VERSION, AGGREGATE_TYPE, str(session_id)
            )
        return LockedUnit(unit, row["user_id"], bool(row["archived"]), busy, int(version))

    async def session_of(self, aggregate_type: str, aggregate_id: str) -> UUID | None:
        if aggregate_type == SESSION:
            return UUID(aggregate_id)  # whether it exists is `lock`'s to say, in one read
        # A novel's streams (chapters, story memory) are named by the novel's id.
        with translated():
            found: UUID | None = await self.connection.fetchval(
                _SESSION_OF_NOVEL, UUID(aggregate_id)
            )
        return found

    async def move(self, unit: ArchiveUnit, archived: bool) -> int:
        types, ids = zip(*unit.streams(), strict=True)
        with translated():
            moved = await self.connection.fetchval(_MOVE, list(types), list(ids), archived)
            await self.connection.execute(_FLAG_SESSION, unit.session_id, archived)
            if unit.novel_id is not None:
                await self.connection.execute(_FLAG_NOVEL, unit.novel_id, archived)
        return int(moved)

    async def due(
        self, finished_before: datetime | None, trashed_before: datetime | None, limit: int
    ) -> list[UUID]:
        with translated():
            rows = await self.connection.fetch(_DUE, finished_before, trashed_before, limit)
        return [row["id"] for row in rows]
