"""The FastAPI application factory: lifespan owns the pool and the Kafka admin client."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import APIRouter, FastAPI

from infinite_scribe.api.errors import install_error_handlers
from infinite_scribe.api.idempotency import IdempotencyMiddleware
from infinite_scribe.api.request_context import RequestContextMiddleware
from infinite_scribe.api.routes import events, genesis, health
from infinite_scribe.api.token_cache import VerifiedTokens
from infinite_scribe.config import Settings
from infinite_scribe.kafka_admin import admin_client
from infinite_scribe.persistence.database import create_pool
from infinite_scribe.persistence.idempotency_stores import (
    check_idempotency_settings,
    open_idempotency_store,
)

API_PREFIX = "/api/v1"


def build_router() -> APIRouter:
    router = APIRouter(prefix=API_PREFIX)
    router.include_router(health.router)
    router.include_router(genesis.router)
    router.include_router(events.router)
    return router


def create_app(settings: Settings) -> FastAPI:
    database_url = settings.resolved_database_url()
    if database_url is None:
        raise ValueError("the API needs DATABASE_URL (scribe up starts an embedded database)")
    check_idempotency_settings(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.pool = await create_pool(database_url, max_size=20)
        servers = settings.resolved_kafka_servers()
        app.state.kafka_admin = admin_client(servers) if servers else None
        app.state.idempotency_store = await open_idempotency_store(settings, database_url)
        try:
            yield
        finally:
            await app.state.idempotency_store.close()
            await app.state.pool.close()

    app = FastAPI(
        title="InfiniteScribe backend",
        version="0.1.0",
        lifespan=lifespan,
    )
    app.state.settings = settings
    # One cache of verified tokens, shared by the auth dependency and the idempotency middleware.
    app.state.verified_tokens = VerifiedTokens(settings)
    install_error_handlers(app)
    app.add_middleware(IdempotencyMiddleware, settings=settings)
    app.include_router(build_router())
    app.add_middleware(RequestContextMiddleware)
    return app
