"""The console's services, built with the API's container: the operator actions over the
outbox operations, the dead-letter topic and the audit log, and the overview's figures."""

from dataclasses import dataclass
from uuid import UUID

import asyncpg

from infinite_scribe.application.operator import OperatorActions, PipelineOverview
from infinite_scribe.application.ports.operator import (
    DeadLetterView,
    FailedRow,
    OutboxFilter,
)
from infinite_scribe.domain.errors import StorageUnavailable
from infinite_scribe.kafka.dead_letter_topic import KafkaDeadLetterTopic
from infinite_scribe.kafka.pipeline_probe import KafkaPipelineProbe
from infinite_scribe.persistence.errors import translated
from infinite_scribe.persistence.operator.audit import PostgresAuditLog, PostgresDispositions
from infinite_scribe.persistence.operator.reads import (
    PostgresEventQueries,
    PostgresPipelineQueries,
)
from infinite_scribe.persistence.outbox import operations
from infinite_scribe.settings.settings import Settings


@dataclass(frozen=True)
class ConsoleServices:
    operator: OperatorActions
    overview: PipelineOverview


class OutboxOperations:
    """The OutboxAdmin port over the relay's own operator operations (`scribe outbox`)."""

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


class NoBroker:
    """The dead-letter topic when no broker is configured: empty, and replays refuse."""

    async def letters(self) -> list[DeadLetterView]:
        return []

    async def replay(self, positions: list[str]) -> int:
        raise StorageUnavailable("No Kafka broker is configured")


def console_services(settings: Settings, pool: asyncpg.Pool) -> ConsoleServices:
    connection = settings.kafka_connection()
    dead_letter_topic = f"{settings.kafka_topic}.dlq"
    letters = KafkaDeadLetterTopic(connection, settings.kafka_topic) if connection else NoBroker()
    probe = (
        KafkaPipelineProbe(connection, settings.kafka_topic, settings.worker_consumer_group)
        if connection
        else None
    )
    operator = OperatorActions(
        PostgresAuditLog(pool),
        OutboxOperations(pool),
        letters,
        PostgresDispositions(pool, dead_letter_topic),
        PostgresEventQueries(pool),
    )
    return ConsoleServices(operator, PipelineOverview(PostgresPipelineQueries(pool), probe))
