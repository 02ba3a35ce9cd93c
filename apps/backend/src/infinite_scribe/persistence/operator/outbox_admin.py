"""The OutboxAdmin port (application/ports/operator.py) over the relay's own operator
operations on the outbox (`scribe outbox`): FAILED rows, and requeueing them; one row's
payload, and discarding a FAILED row (issue 38)."""

from uuid import UUID

import asyncpg

from infinite_scribe.application.ports.operator import FailedRow, OutboxFilter, OutboxRow
from infinite_scribe.persistence.errors import translated
from infinite_scribe.persistence.outbox import operations
from infinite_scribe.persistence.outbox.notifier import notify

# The payload is indented and cut in the database: a huge row never crosses the wire whole.
_ROW_SQL = """
SELECT id, position, event_id, topic, key, status::text AS status, headers,
       left(jsonb_pretty(payload), $2) AS payload, octet_length(payload::text) AS payload_bytes,
       attempts, last_error_class, last_error, created_at, updated_at
FROM event_outbox WHERE id = $1
"""


class OutboxOperations:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool

    async def failed(self, where: OutboxFilter, limit: int) -> list[FailedRow]:
        with translated():
            rows = await operations.failed(self.pool, where, limit)
        return [FailedRow(**row) for row in rows]

    async def requeue(self, *, row_id: UUID | None, where: OutboxFilter | None) -> int:
        with translated():
            if row_id is not None:
                return await operations.requeue(self.pool, row_id=row_id)
            return await operations.requeue(self.pool, where=where or OutboxFilter())

    async def row(self, row_id: UUID, max_chars: int) -> OutboxRow | None:
        with translated():
            row = await self.pool.fetchrow(_ROW_SQL, row_id, max_chars)
        if row is None:
            return None
        return OutboxRow(**{**dict(row), "headers": dict(row["headers"] or {})})

    async def discard(self, row_id: UUID) -> int:
        with translated():
            deleted = await self.pool.fetchval(
                "WITH gone AS (DELETE FROM event_outbox WHERE id = $1 AND status = 'FAILED' "
                "RETURNING 1) SELECT count(*) FROM gone",
                row_id,
            )
            if deleted:  # after the commit: the relay takes the rows the FAILED one held
                await notify(self.pool)
        return int(deleted or 0)
