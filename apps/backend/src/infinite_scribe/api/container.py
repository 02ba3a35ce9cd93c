"""The API's services, built once in `lifespan` (the composition: which adapter serves which
port) and read by routes and middleware through `services_of` / the `Services` dependency."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import asyncpg

from infinite_scribe.api.token_cache import VerifiedTokens
from infinite_scribe.application.command_service import CommandService
from infinite_scribe.application.ports.idempotency import IdempotencyStore
from infinite_scribe.application.ports.storage import HealthProbe
from infinite_scribe.application.ports.tasks import TaskQueries
from infinite_scribe.application.sessions import GenesisSessions
from infinite_scribe.config import Settings
from infinite_scribe.kafka_admin import admin_client
from infinite_scribe.persistence.database import create_pool
from infinite_scribe.persistence.event_store import EventStore
from infinite_scribe.persistence.genesis_adapters import PoolProbe, PostgresGenesisQueries
from infinite_scribe.persistence.idempotency_stores import open_idempotency_store
from infinite_scribe.persistence.repositories import unit_of_work
from infinite_scribe.persistence.tasks import PostgresTaskQueries

#: Connections of the API's pool (commands, queries, health).
API_POOL_SIZE = 20


@dataclass(frozen=True)
class ApiServices:
    """Everything a request may need, typed; one instance per app, built in lifespan."""

    settings: Settings
    pool: asyncpg.Pool
    commands: CommandService
    sessions: GenesisSessions
    tasks: TaskQueries
    idempotency_store: IdempotencyStore
    verified_tokens: VerifiedTokens
    database: HealthProbe
    #: The librdkafka admin client for the health check (None: no broker configured).
    kafka_admin: Any | None


@asynccontextmanager
async def api_services(
    settings: Settings, database_url: str, verified_tokens: VerifiedTokens
) -> AsyncIterator[ApiServices]:
    """Open the pool and the stores, wire the adapters to the ports, close them on exit."""
    pool = await create_pool(database_url, max_size=API_POOL_SIZE)
    try:
        # The Kafka topic is decided here, once, not per request.
        store = EventStore(settings.kafka_topic)
        uow = unit_of_work(pool, store)
        queries = PostgresGenesisQueries(pool, store)
        servers = settings.resolved_kafka_servers()
        idempotency_store = await open_idempotency_store(settings, database_url)
        try:
            yield ApiServices(
                settings=settings,
                pool=pool,
                commands=CommandService(uow, queries),
                sessions=GenesisSessions(uow, queries),
                tasks=PostgresTaskQueries(pool, settings.kafka_topic),
                idempotency_store=idempotency_store,
                verified_tokens=verified_tokens,
                database=PoolProbe(pool),
                kafka_admin=admin_client(servers) if servers else None,
            )
        finally:
            await idempotency_store.close()
    finally:
        await pool.close()
