"""The operator's services, built with the API's container (api/container.py) and read by the
console's ops pages: the audited actions over the outbox, the dead-letter topic and the audit
log, and the overview's figures. Here, not in api/console/: the container sits below the
console and must not import it."""

from dataclasses import dataclass

import asyncpg

from infinite_scribe.application.archive import ArchiveService
from infinite_scribe.application.command_service import CommandService
from infinite_scribe.application.operator import OperatorActions, PipelineOverview
from infinite_scribe.application.redrives import GenerationRedrive
from infinite_scribe.domain.chapters import AGGREGATE_TYPE as NOVEL_AGGREGATE
from infinite_scribe.domain.genesis import AGGREGATE_TYPE as GENESIS_AGGREGATE
from infinite_scribe.kafka.dead_letter_topic import KafkaDeadLetterTopic, NoBroker
from infinite_scribe.kafka.pipeline_probe import KafkaPipelineProbe
from infinite_scribe.persistence.operator.audit import PostgresAuditLog, PostgresDispositions
from infinite_scribe.persistence.operator.outbox_admin import OutboxOperations
from infinite_scribe.persistence.operator.reads import (
    PostgresEventQueries,
    PostgresFailedRequests,
    PostgresPipelineQueries,
)
from infinite_scribe.persistence.operator.workers import PostgresWorkerRegistry
from infinite_scribe.settings.settings import Settings


@dataclass(frozen=True)
class ConsoleServices:
    operator: OperatorActions
    overview: PipelineOverview
    #: The broker's pipeline probe, released with the API's container (None without a broker).
    probe: KafkaPipelineProbe | None = None

    def close(self) -> None:
        """Release the probe's client (blocks while a call runs: call it off the loop)."""
        if self.probe is not None:
            self.probe.close()


def console_services(
    settings: Settings, pool: asyncpg.Pool, commands: CommandService, novels: CommandService
) -> ConsoleServices:
    """`commands` and `novels`: the sessions' and the novels' command services, through which
    a dead letter's replay re-drives a failed generation (application/redrives.py)."""
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
        GenerationRedrive(
            PostgresFailedRequests(pool),
            {GENESIS_AGGREGATE: commands, NOVEL_AGGREGATE: novels},
        ),
        ArchiveService(commands.uow),
    )
    overview = PipelineOverview(
        PostgresPipelineQueries(pool),
        probe,
        PostgresWorkerRegistry(pool),
        settings.relay_member_ttl_seconds,
    )
    return ConsoleServices(operator, overview, probe)
