"""The operator's audited actions for the command line (`scribe worker dlq replay`): the same
`OperatorActions` the console uses (api/operator_services.py), on a small pool of its own, so
a replay from the shell re-drives, records dispositions and audits exactly as the console."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from infinite_scribe.api.operator_services import console_services
from infinite_scribe.application.command_service import NOVEL_REGISTRY, CommandService
from infinite_scribe.application.operator import OperatorActions
from infinite_scribe.persistence.genesis.adapters import PostgresGenesisQueries
from infinite_scribe.persistence.storage import StorageOptions, open_storage
from infinite_scribe.settings.settings import Settings


@asynccontextmanager
async def operator_actions(settings: Settings, database_url: str) -> AsyncIterator[OperatorActions]:
    options = StorageOptions(
        database_url, settings.kafka_topic, settings.event_max_bytes, pool_size=4
    )
    async with open_storage(options) as storage:
        queries = PostgresGenesisQueries(storage.pool)
        commands = CommandService(storage.uow, queries)
        novels = CommandService(storage.uow, queries, registry=NOVEL_REGISTRY)
        yield console_services(settings, storage.pool, commands, novels).operator
