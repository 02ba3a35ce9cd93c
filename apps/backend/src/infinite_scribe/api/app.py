"""The FastAPI application factory: lifespan builds the typed services container."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import APIRouter, FastAPI

from infinite_scribe.api.container import api_services
from infinite_scribe.api.errors import install_error_handlers
from infinite_scribe.api.idempotency import IdempotencyMiddleware
from infinite_scribe.api.paths import API_PREFIX
from infinite_scribe.api.request_context import RequestContextMiddleware
from infinite_scribe.api.routes import events, genesis, health, tasks
from infinite_scribe.api.token_cache import VerifiedTokens
from infinite_scribe.config import Settings
from infinite_scribe.persistence.idempotency_stores import check_idempotency_settings


def build_router() -> APIRouter:
    router = APIRouter(prefix=API_PREFIX)
    router.include_router(health.router)
    router.include_router(genesis.router)
    router.include_router(events.router)
    router.include_router(tasks.router)
    return router


def create_app(settings: Settings) -> FastAPI:
    database_url = settings.resolved_database_url()
    if database_url is None:
        raise ValueError("the API needs DATABASE_URL (scribe up starts an embedded database)")
    check_idempotency_settings(settings)
    # One cache of verified tokens, shared by the auth dependency and the idempotency middleware.
    verified_tokens = VerifiedTokens(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with api_services(settings, database_url, verified_tokens) as services:
            app.state.services = services  # read only through api.deps.services_of
            yield

    app = FastAPI(title="InfiniteScribe backend", version="0.1.0", lifespan=lifespan)
    install_error_handlers(app)
    app.include_router(build_router())
    # The middleware order, outermost first (Starlette runs the last one added first):
    #   1. RequestContextMiddleware: X-Request-ID / traceparent, so every answer (a replay
    #      or a 413 from the next one included) carries them;
    #   2. IdempotencyMiddleware: claim, replay or refuse the key before any route runs;
    #   3. the routes (exceptions -> HTTP in api/errors.py).
    for middleware, options in reversed(middleware_stack(settings)):
        app.add_middleware(middleware, **options)
    return app


def middleware_stack(settings: Settings) -> list[tuple[Any, dict[str, Any]]]:
    """The middleware stack, outermost first (see the comment in `create_app`)."""
    return [
        (RequestContextMiddleware, {}),
        (IdempotencyMiddleware, {"settings": settings}),
    ]
