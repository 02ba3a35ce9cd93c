"""The continuity check's backlog in SQL (issue 71, migration 0035): a check taken at its start
(`continuity_attempts`), and the re-drive of the events no check has recorded."""

from uuid import UUID

import asyncpg

from infinite_scribe.persistence.errors import translated
from infinite_scribe.persistence.event_store import envelope_json
from infinite_scribe.persistence.outbox import rows as outbox
from infinite_scribe.persistence.outbox.notifier import notify

_TYPES = ", ".join(
    f"'{t}'"
    for t in ("Novel.Chapter.Confirmed", "Novel.Chapters.RolledBack", "Novel.Finding.Waived")
)

# Nothing is inserted for an event whose results' ledger row exists (checked already).
_BEGIN = """
INSERT INTO continuity_attempts AS a (consumer, event_id)
SELECT $1, $2 WHERE NOT EXISTS (
    SELECT 1 FROM processed_messages WHERE consumer = $1 AND event_id = $2)
ON CONFLICT (consumer, event_id) DO UPDATE SET attempts = a.attempts + 1, started_at = now()
RETURNING attempts
"""
_FINISH = "DELETE FROM continuity_attempts WHERE consumer = $1 AND event_id = $2"
# The literal type list and `metadata IS NOT NULL` are the partial index's predicate (migration
# 0034: only this statement can use it); hot partition only.
_BACKLOG = f"""
SELECT e.*, EXISTS (
    SELECT 1 FROM processed_messages p WHERE p.consumer = $1 AND p.event_id = e.event_id
) AS checked
FROM domain_events e
WHERE NOT e.archived AND e.id > $2 AND e.event_type IN ({_TYPES}) AND e.metadata IS NOT NULL
  AND e.created_at < now() - make_interval(secs => $3)
  AND e.created_at > now() - make_interval(secs => $5)
ORDER BY e.id LIMIT $4
"""
# Where a process's cursor begins: the first hot event of the horizon by `created_at` (its
# index, one row read); ids and commit times agree but for concurrent commits, a negligible
# miss at a day's edge.
_START = """
SELECT id FROM domain_events
WHERE NOT archived AND created_at > now() - make_interval(secs => $1)
ORDER BY created_at LIMIT 1
"""
_END = "SELECT coalesce(max(id), 0) FROM domain_events WHERE NOT archived"


class PostgresCheckLedger:
    """`CheckLedger` on the pool (each call its own short statement)."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool

    async def begin(self, consumer: str, event_id: UUID) -> int | None:
        with translated():
            attempts: int | None = await self.pool.fetchval(_BEGIN, consumer, event_id)
        return attempts

    async def finish(self, consumer: str, event_id: UUID) -> None:
        with translated():
            await self.pool.execute(_FINISH, consumer, event_id)


class PostgresCheckBacklog:
    """The events of `consumer`'s checks past a cursor (the log's global id), published again
    on `topic` through the outbox when nothing recorded their check."""

    def __init__(self, pool: asyncpg.Pool, topic: str) -> None:
        self.pool = pool
        self.topic = topic

    async def page(
        self, consumer: str, after: int, ages: tuple[float, float], limit: int
    ) -> list[tuple[int, dict[str, object] | None]]:
        """The events of `consumer`'s checks past global id `after` whose age (s) is within
        `ages` (older than the first, younger than the second), in log order: (id, the
        envelope; None when checked)."""
        with translated():
            rows = await self.pool.fetch(_BACKLOG, consumer, after, ages[0], limit, ages[1])
        return [(row["id"], None if row["checked"] else envelope_json(row)) for row in rows]

    async def start(self, horizon_seconds: float) -> int:
        with translated():
            first: int | None = await self.pool.fetchval(_START, horizon_seconds)
            if first is not None:
                return first - 1
            end: int = await self.pool.fetchval(_END)
        return end

    async def publish(self, envelopes: list[dict[str, object]]) -> None:
        """The events again, through the outbox (their ids: a copy seen is dropped)."""
        with translated():
            await outbox.enqueue(self.pool, self.topic, envelopes)
        if envelopes:
            await notify(self.pool)
