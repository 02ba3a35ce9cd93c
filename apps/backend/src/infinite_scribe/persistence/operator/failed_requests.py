"""The command behind a failed generation request (what a dead letter's replay re-drives):
adapter of application/ports/operator.py's `FailedRequests`."""

from uuid import UUID

import asyncpg

from infinite_scribe.application.ports.operator import FailedRequest
from infinite_scribe.persistence.errors import translated
from infinite_scribe.persistence.rows import from_row

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
    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool

    async def behind(self, request_event_id: UUID) -> FailedRequest | None:
        with translated():
            row = await self.pool.fetchrow(_BEHIND, request_event_id)
        if row is None:
            return None
        return from_row(FailedRequest, row, payload=dict(row["payload"] or {}))
