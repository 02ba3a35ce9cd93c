"""The OutboxAdmin port (application/ports/operator.py) over the relay's own operator
operations on the outbox (`scribe outbox`): FAILED rows, and requeueing them."""

from uuid import UUID

import asyncpg

from infinite_scribe.application.ports.operator import FailedRow, OutboxFilter
from infinite_scribe.persistence.errors import translated
from infinite_scribe.persistence.outbox import operations


class OutboxOperations:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool

    async def failed(self, where: OutboxFilter, limit: int) -> list[FailedRow]:
        with translated():
            rows = await operations.failed(self.pool, _filter(where), limit)
        return [FailedRow(**row) for row in rows]

    async def requeue(self, *, row_id: UUID | None, where: OutboxFilter | None) -> int:
        with translated():
            if row_id is not None:
                return await operations.requeue(self.pool, row_id=row_id)
            return await operations.requeue(self.pool, where=_filter(where or OutboxFilter()))


def _filter(where: OutboxFilter) -> operations.FailedFilter:
    return operations.FailedFilter(
        key=where.key,
        topic=where.topic,
        error_class=where.error_class,
        error_contains=where.error_contains,
    )
