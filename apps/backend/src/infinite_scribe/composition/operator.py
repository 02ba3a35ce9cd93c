"""The operator's audited actions for the command line (`scribe worker dlq replay`): the same
`OperatorActions` the console uses (api/operator_services.py), on a small pool of its own, so
a replay from the shell re-drives, records dispositions and audits exactly as the console."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from infinite_scribe.api.operator_services import console_services
from infinite_scribe.application.command_service import NOVEL_REGISTRY, CommandService
from infinite_scribe.application.operator import OperatorActions
from infinite_scribe.persistence.database import create_pool
from infinite_scribe.persistence.genesis.adapters import PostgresGenesisQueries
from infinite_scribe.persistence.writes.composer import WriteComposer
from infinite_scribe.persistence.writes.repositories import unit_of_work
from infinite_scribe.settings.settings import Settings


@asynccontextmanager
async def operator_actions(settings: Settings, database_url: str) -> AsyncIterator[OperatorActions]:
    pool = await create_pool(database_url, min_size=1, max_size=4)
    try:
        composer = WriteComposer(settings.kafka_topic, settings.event_max_bytes)
        uow = unit_of_work(pool, composer, database_url)
        try:
            queries = PostgresGenesisQueries(pool)
            commands = CommandService(uow, queries)
            novels = CommandService(uow, queries, registry=NOVEL_REGISTRY)
            yield console_services(settings, pool, commands, novels).operator
        finally:
            await uow.close()
    finally:
        await pool.close()
