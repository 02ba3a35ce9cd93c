"""A novel's exports on PostgreSQL (migration 0024): the claim, the job's heartbeat and its
outcome, each one statement that moves the export row and its async task together."""

from uuid import UUID

import asyncpg

from infinite_scribe.application.ports.exports import ExportClaim, StoredExport
from infinite_scribe.persistence.errors import translated
from infinite_scribe.persistence.genesis.novels import NOVEL_GENESIS

# The novel's current version claims the row when it has no export, an export of another
# version, a failed one or one whose job stopped beating; ON CONFLICT locks the row, so of two
# requests at once one claims and the other finds the claim (the `found` branch, or the retry
# below when the claim committed after this statement's snapshot).
_CLAIM = f"""
WITH novel AS (
    SELECT n.id, n.version, n.stream_version, COALESCE(g.trashed_at IS NOT NULL, false) AS trashed
    FROM novels n {NOVEL_GENESIS}
    WHERE n.id = $1 AND n.user_id = $2
), claimed AS (
    INSERT INTO novel_exports AS e (novel_id, format, novel_version, stream_version, task_id)
    SELECT id, $3, version, stream_version, $4 FROM novel WHERE NOT trashed
    ON CONFLICT (novel_id, format) DO UPDATE
        SET novel_version = EXCLUDED.novel_version, stream_version = EXCLUDED.stream_version,
            task_id = EXCLUDED.task_id, body = NULL, failed = false, heartbeat_at = now(),
            built_at = NULL
        WHERE (e.novel_version, e.stream_version)
                  IS DISTINCT FROM (EXCLUDED.novel_version, EXCLUDED.stream_version)
           OR e.failed
           OR (e.body IS NULL AND e.heartbeat_at < now() - make_interval(secs => $5))
    RETURNING e.task_id
), task AS (
    INSERT INTO async_tasks (id, task_type, status, progress, user_id, message, input_data,
                             started_at)
    SELECT task_id, 'EXPORT_NOVEL', 'RUNNING', 0, $2, 'building the file',
           jsonb_build_object('novel_id', $1::uuid, 'format', $3::text), now()
    FROM claimed
    RETURNING id
)
SELECT (SELECT id FROM novel) AS novel, (SELECT trashed FROM novel) AS trashed,
       (SELECT task_id FROM claimed) AS claimed,
       e.task_id, e.body IS NOT NULL AS built
FROM (SELECT 1) AS one
LEFT JOIN novel_exports e ON e.novel_id = $1 AND e.format = $3
"""

_BEAT = """
WITH export AS (
    UPDATE novel_exports SET heartbeat_at = now()
    WHERE novel_id = $1 AND format = $2 AND task_id = $3 RETURNING task_id
)
UPDATE async_tasks SET progress = $4, updated_at = now()
WHERE id = (SELECT task_id FROM export)
"""

_BUILT = """
WITH export AS (
    UPDATE novel_exports SET body = $4, built_at = now(), heartbeat_at = now()
    WHERE novel_id = $1 AND format = $2 AND task_id = $3 RETURNING task_id
)
UPDATE async_tasks
SET status = (CASE WHEN EXISTS (SELECT 1 FROM export) THEN 'COMPLETED' ELSE 'CANCELLED' END)
                 ::task_status,
    message = CASE WHEN EXISTS (SELECT 1 FROM export) THEN 'built'
                   ELSE 'superseded: a newer request builds the file' END,
    progress = 100, result_data = $5::jsonb, finished_at = now(), updated_at = now()
WHERE id = $3
"""

# The WHERE names `export` so that its row is locked before the task's, in _BEAT's order: a CTE
# no one names runs after the outer UPDATE, and the reverse order deadlocked with a beat (the
# failure was the victim and the task stayed RUNNING).
_FAILED = """
WITH export AS (
    UPDATE novel_exports SET failed = true
    WHERE novel_id = $1 AND format = $2 AND task_id = $3 RETURNING task_id
)
UPDATE async_tasks SET status = 'FAILED', message = 'the build failed',
       error_data = jsonb_build_object('error_code', 'EXPORT_FAILED', 'message', $4::text),
       finished_at = now(), updated_at = now()
WHERE id = $3 AND (SELECT count(*) FROM export) >= 0
"""

_STORED = f"""
SELECT e.task_id, e.body,
       (e.novel_version, e.stream_version) = (n.version, n.stream_version) AS current,
       COALESCE(g.trashed_at IS NOT NULL, false) AS trashed
FROM novel_exports e JOIN novels n ON n.id = e.novel_id {NOVEL_GENESIS}
WHERE e.novel_id = $1 AND n.user_id = $2 AND e.format = $3
"""


class PostgresNovelExports:
    """`NovelExportStore` on the API's pool."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool

    async def claim(
        self, novel_id: UUID, user_id: UUID, media: str, task_id: UUID, stale_seconds: float
    ) -> ExportClaim | None:
        for _ in range(2):
            with translated():
                row = await self.pool.fetchrow(
                    _CLAIM, novel_id, user_id, media, task_id, stale_seconds
                )
            assert row is not None  # (SELECT 1) LEFT JOIN ...: always one row
            if row["novel"] is None:
                return None
            if row["trashed"]:
                return ExportClaim(None, claimed=False, built=False, trashed=True)
            if row["claimed"] is not None:
                return ExportClaim(task_id, claimed=True, built=False)
            if row["task_id"] is not None:
                return ExportClaim(row["task_id"], claimed=False, built=bool(row["built"]))
            # Another request's claim committed after this statement's snapshot: read it now.
        raise RuntimeError("an export claim found no row twice")

    async def beat(self, novel_id: UUID, media: str, task_id: UUID, progress: int) -> None:
        with translated():
            await self.pool.execute(_BEAT, novel_id, media, task_id, progress)

    async def built(self, novel_id: UUID, media: str, task_id: UUID, body: bytes) -> None:
        result = {"novel_id": str(novel_id), "format": media, "bytes": len(body)}
        with translated():
            await self.pool.execute(_BUILT, novel_id, media, task_id, body, result)

    async def failed(self, novel_id: UUID, media: str, task_id: UUID, message: str) -> None:
        with translated():
            await self.pool.execute(_FAILED, novel_id, media, task_id, message[:500])

    async def stored(self, novel_id: UUID, user_id: UUID, media: str) -> StoredExport | None:
        with translated():
            row = await self.pool.fetchrow(_STORED, novel_id, user_id, media)
        if row is None:
            return None
        current, trashed = bool(row["current"]), bool(row["trashed"])
        return StoredExport(row["task_id"], current, row["body"], trashed)
