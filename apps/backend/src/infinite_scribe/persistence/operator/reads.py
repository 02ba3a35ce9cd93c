"""What the operator's overview, event chains and dead-letter replays read from PostgreSQL (any
user's rows: the console checks the operator role before it calls these)."""

from typing import Any
from uuid import UUID

import asyncpg

from infinite_scribe.application.ports.operator import FailedRequest, PipelineFigures
from infinite_scribe.persistence.errors import translated
from infinite_scribe.persistence.rows import from_row

_EVENT_COLUMNS = (
    "id, event_id, correlation_id, causation_id, event_type, event_version, aggregate_type, "
    "aggregate_id, aggregate_version, payload, metadata, created_at"
)

# One round trip for every database figure. The outbox counts use the status column only (its
# partial indexes serve PENDING/FAILED); SENT counts scan, which an operator page can afford.
_FIGURES_SQL = """
SELECT
  (SELECT count(*) FROM command_inbox
    WHERE created_at > now() - make_interval(secs => $1)) AS commands,
  (SELECT coalesce(jsonb_object_agg(status, n), '{}'::jsonb)
     FROM (SELECT status::text AS status, count(*) AS n FROM event_outbox GROUP BY status) s
  ) AS outbox,
  (SELECT extract(epoch FROM now() - min(created_at)) FROM event_outbox
    WHERE status = 'PENDING') AS oldest_pending,
  (SELECT count(*) FROM event_outbox WHERE status = 'SENT'
    AND sent_at > now() - make_interval(secs => $1)) AS sent,
  (SELECT coalesce(jsonb_object_agg(status, n), '{}'::jsonb)
     FROM (SELECT status::text AS status, count(*) AS n FROM async_tasks GROUP BY status) t
  ) AS tasks
"""


class PostgresPipelineQueries:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool

    async def database_figures(self, window_seconds: float) -> PipelineFigures:
        with translated():
            row = await self.pool.fetchrow(_FIGURES_SQL, window_seconds)
            running = await self.pool.fetch(
                "SELECT id, task_type, progress, "
                "extract(epoch FROM now() - updated_at) AS silent_seconds FROM async_tasks "
                "WHERE status = 'RUNNING' ORDER BY updated_at LIMIT 20"
            )
        assert row is not None
        oldest = row["oldest_pending"]
        return PipelineFigures(
            commands_per_second=int(row["commands"]) / window_seconds,
            outbox_counts={k: int(v) for k, v in row["outbox"].items()},
            oldest_unpublished_seconds=float(oldest) if oldest is not None else None,
            relay_per_second=int(row["sent"]) / window_seconds,
            tasks_by_status={k: int(v) for k, v in row["tasks"].items()},
            running_tasks=[
                {**dict(r), "silent_seconds": float(r["silent_seconds"])} for r in running
            ],
        )


class PostgresEventQueries:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool

    async def event(self, event_id: UUID) -> dict[str, Any] | None:
        with translated():
            row = await self.pool.fetchrow(
                f"SELECT {_EVENT_COLUMNS} FROM domain_events WHERE event_id = $1", event_id
            )
        return dict(row) if row is not None else None

    async def flow(self, correlation_id: UUID, limit: int) -> list[dict[str, Any]]:
        with translated():
            rows = await self.pool.fetch(
                f"SELECT {_EVENT_COLUMNS} FROM domain_events WHERE correlation_id = $1 "
                "ORDER BY id LIMIT $2",
                correlation_id,
                limit,
            )
        return [dict(row) for row in rows]


# The request's task and command, the aggregate its event is on, and whether a later task on
# that aggregate exists (the writer asked again since: re-driving the old one would answer
# over the newer request).
_BEHIND = """
SELECT t.status::text AS task_status, e.aggregate_type, t.session_id AS aggregate_id,
       c.user_id, c.command_type, c.payload,
       EXISTS (SELECT 1 FROM async_tasks later
               WHERE later.session_id = t.session_id AND later.created_at > t.created_at
                 AND later.id <> t.id) AS superseded
FROM async_tasks t
JOIN command_inbox c ON c.id = t.triggered_by_command_id
JOIN domain_events e ON e.event_id = t.request_event_id
WHERE t.request_event_id = $1
"""


class PostgresFailedRequests:
    """The command behind a failed generation request: what a dead letter's replay re-drives."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool

    async def behind(self, request_event_id: UUID) -> FailedRequest | None:
        with translated():
            row = await self.pool.fetchrow(_BEHIND, request_event_id)
        if row is None:
            return None
        return from_row(FailedRequest, row, payload=dict(row["payload"] or {}))
