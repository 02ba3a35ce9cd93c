"""The worker registry in PostgreSQL (migration 0021_worker_registry): the adapter of
application/ports/workers.py. One statement per beat; the overview's read is one more."""

import asyncpg

from infinite_scribe.application.ports.workers import WorkerBeat
from infinite_scribe.persistence.errors import translated

#: A dead worker's row is deleted once this many of its intervals passed (an hour's worth of
#: history is not worth keeping: the overview shows only the live ones).
PRUNE_BEATS = 100


class PostgresWorkerRegistry:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool

    async def beat(self, worker: WorkerBeat) -> None:
        with translated():
            await self.pool.execute(
                "INSERT INTO worker_registry (worker_id, kind, host, pid, beat_seconds, "
                "in_flight) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (worker_id) DO UPDATE "
                "SET last_seen_at = now(), in_flight = EXCLUDED.in_flight",
                worker.worker_id,
                worker.kind,
                worker.host,
                worker.pid,
                worker.beat_seconds,
                worker.in_flight,
            )

    async def leave(self, worker_id: str) -> None:
        with translated():
            await self.pool.execute("DELETE FROM worker_registry WHERE worker_id = $1", worker_id)

    async def prune(self) -> int:
        with translated():
            deleted = await self.pool.fetchval(
                "WITH gone AS (DELETE FROM worker_registry WHERE last_seen_at < now() - "
                "make_interval(secs => beat_seconds * $1) RETURNING 1) SELECT count(*) FROM gone",
                float(PRUNE_BEATS),
            )
        return int(deleted or 0)

    async def live(self, expiry_beats: float = 3.0) -> list[WorkerBeat]:
        with translated():
            rows = await self.pool.fetch(
                "SELECT worker_id, kind, host, pid, beat_seconds, in_flight, started_at, "
                "extract(epoch FROM now() - last_seen_at) AS silent_seconds "
                "FROM worker_registry WHERE last_seen_at > now() - "
                "make_interval(secs => beat_seconds * $1) ORDER BY started_at, worker_id "
                "LIMIT 200",
                expiry_beats,
            )
        return [
            WorkerBeat(**{**dict(row), "silent_seconds": float(row["silent_seconds"])})
            for row in rows
        ]

    async def relays(self, ttl_seconds: float) -> list[str]:
        with translated():
            rows = await self.pool.fetch(
                "SELECT relay_id FROM relay_members WHERE seen_at > now() - "
                "make_interval(secs => $1) ORDER BY relay_id LIMIT 200",
                ttl_seconds,
            )
        return [row["relay_id"] for row in rows]
