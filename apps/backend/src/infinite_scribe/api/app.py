"""The FastAPI application factory: lifespan builds the typed services container."""

import asyncio
import gc
import inspect
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import anyio
import anyio.abc
import anyio.to_thread
from fastapi import APIRouter, FastAPI
from fastapi.routing import APIRoute

from infinite_scribe.api import route_stacks
from infinite_scribe.api.console.install import install_console
from infinite_scribe.api.console.web import compile_templates
from infinite_scribe.api.container import api_services
from infinite_scribe.api.docs import install_docs
from infinite_scribe.api.errors import install_error_handlers
from infinite_scribe.api.metrics import ApiMetrics
from infinite_scribe.api.middleware.cors import cors_middleware
from infinite_scribe.api.middleware.deadline import DeadlineMiddleware
from infinite_scribe.api.middleware.metrics import MetricsMiddleware
from infinite_scribe.api.middleware.request_context import RequestContextMiddleware
from infinite_scribe.api.middleware.trusted_host import TrustedHostMiddleware
from infinite_scribe.api.paths import API_PREFIX, COMMAND_OPERATIONS
from infinite_scribe.api.routes import (
    chapters,
    events,
    exports,
    flows,
    genesis,
    health,
    history,
    novels,
    stream,
    tasks,
    trash,
)
from infinite_scribe.api.schemas.errors import common_error_responses
from infinite_scribe.api.token_cache import VerifiedTokens
from infinite_scribe.observability.tracing import instrument_app
from infinite_scribe.persistence.idempotency.stores import check_idempotency_settings
from infinite_scribe.settings.settings import Settings

#: FastAPI >= 0.16x has its own OpenTelemetry middleware, which asks the global providers
#: (os.environ lookups) on every request; tracing here is instrument_app's, when configured.
NO_NATIVE_TELEMETRY: dict[str, Any] = (
    {"telemetry": {"tracing": False, "metrics": False, "logs": False}}
    if "telemetry" in inspect.signature(FastAPI).parameters
    else {}
)


def build_router() -> APIRouter:
    router = APIRouter(prefix=API_PREFIX)
    router.include_router(health.router)
    router.include_router(genesis.router)
    router.include_router(history.router)
    router.include_router(novels.router)
    router.include_router(exports.router)
    router.include_router(chapters.router)
    router.include_router(novels.story_router)
    router.include_router(stream.router)  # before events: /events/stream is not an event id
    router.include_router(events.router)
    router.include_router(tasks.router)
    router.include_router(trash.router)
    router.include_router(flows.router)
    router.include_router(events.chains_router)
    return router


def _build_routes_and_document(app: FastAPI) -> None:
    for route in app.router.routes:
        for _ in getattr(route, "effective_route_contexts", list)():
            pass
    app.openapi()


async def _warm_up(app: FastAPI) -> None:
    """What FastAPI (0.16x) and anyio do at their first use, done before serving: each was
    0.1-0.5 s of the loop, taken by whichever request came first (issue 49). FastAPI builds
    an included router's routes and the OpenAPI document (the metrics middleware's route
    table reads it) at the first request; anyio imports its parts and its backend at their
    first use (Starlette runs sync dependencies and streams through it). A FastAPI without
    `effective_route_contexts` builds its routes lazily as before.

    The routes and the document are built on a thread: in `scribe up` the relay and the agent
    worker already run on this loop, and the build (0.1-0.2 s of pure Python) held it, which
    the loop's watchdog rightly reported as a stall at every start. So are the console's
    templates compiled (0.23 s in all; a page's first render compiled its own on the loop).
    Nothing serves yet, so nothing else reads what the thread builds."""
    await asyncio.to_thread(_build_routes_and_document, app)
    await asyncio.to_thread(compile_templates)  # the console's pages: compiled off the loop too
    for module in (anyio, anyio.abc):
        for name in dir(module):
            getattr(module, name)
    await anyio.to_thread.run_sync(lambda: None)


def create_app(settings: Settings) -> FastAPI:
    database_url = settings.resolved_database_url()
    if database_url is None:
        raise ValueError("the API needs DATABASE_URL (scribe up starts an embedded database)")
    check_idempotency_settings(settings)
    # One cache of verified tokens, shared by the auth dependency and the idempotency middleware.
    verified_tokens = VerifiedTokens(settings)
    api_metrics = ApiMetrics()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with api_services(settings, database_url, verified_tokens, api_metrics) as services:
            app.state.services = services  # read only through api.deps.services_of
            # What is loaded by now lives as long as the process: kept out of the collector's
            # sight, a full collection walks only what requests made (on a loaded process it
            # walked the whole heap: 100-200 ms of the loop, at whichever allocation tripped it,
            # issue 49), as the relay does (decision 4004).
            await _warm_up(app)
            gc.freeze()
            yield

    app = FastAPI(
        title="InfiniteScribe backend",
        version="0.1.0",
        lifespan=lifespan,
        # redirect_slashes off: a trailing-slash redirect would build its Location from the
        # Host header (issue 9); `/x/` is a plain 404 instead.
        redirect_slashes=False,
        # Served from packaged assets by install_docs (no CDN).
        docs_url=None,
        redoc_url=None,
        generate_unique_id_function=operation_id,
        **NO_NATIVE_TELEMETRY,
    )
    install_docs(app)
    install_error_handlers(app)
    app.include_router(build_router(), responses=common_error_responses())
    install_console(app)  # after install_error_handlers: it wraps them for /console pages
    # The middleware order, outermost first: middleware_stack's docstring.
    stack = middleware_stack(settings, api_metrics, verified_tokens)
    for middleware, options in reversed(stack):
        app.add_middleware(middleware, **options)
    instrument_app(app)
    return app


def middleware_stack(
    settings: Settings, api_metrics: ApiMetrics, verified_tokens: VerifiedTokens
) -> list[tuple[Any, dict[str, Any]]]:
    """The middleware stack, outermost first (Starlette runs the last one added first):

    0. with OTEL_EXPORTER_OTLP_ENDPOINT set, the OpenTelemetry server span (instrument_app);
       then MetricsMiddleware, the front door: the request matched once (api/route_table.py:
       every later layer reads that match) and every answer counted by route template and
       status; then TrustedHostMiddleware: 400 for a Host this API does not answer to (DNS
       rebinding), before CORS, the console's same-origin check and every route;
       then CORSMiddleware (when origins are allowed): answers preflights before anything else
       (no auth, no idempotency claim) and adds the CORS headers to every answer, errors
       included, so a browser can read a 401 or 413;
    1. RequestContextMiddleware: X-Request-ID / traceparent, so every answer (a replay,
       a 413 or an unhandled error's 500 included) carries them;
    2. DeadlineMiddleware: 503 when no answer has begun after API_REQUEST_TIMEOUT_SECONDS
       (a frozen database), sent then and there (issue 21);
    then RouteStacks: the stack of the operation the request reached, built once per operation
    (api/route_stacks.py):
    3. OperationGateMiddleware: a route that needs a token gets a 401 as soon as the
       head is in, before any byte of the body is read (the token verified once); a method the
       path lacks a 405 with the document's whole Allow (issue 21);
    4. BodyLimitMiddleware: the body limit while it streams, the process's body budget and
       the once-only headers, before any other work;
    5. StrictJsonMiddleware: NaN / Infinity / 1e400 are a 422, not null (the body read and
       parsed once);
    6. IdempotencyMiddleware: claim, replay or refuse the key before any route runs (the
       command routes check the key and store their answer in their own write: decision 2504);
    7. the route: a command route's own raw ASGI handler (api/command_route.py), else FastAPI's
       router (exceptions -> HTTP in api/errors.py).
    """
    cors = cors_middleware(settings)
    return [
        (MetricsMiddleware, {"metrics": api_metrics, "inline_routes": tuple(COMMAND_OPERATIONS)}),
        (TrustedHostMiddleware, {"allowed_hosts": settings.allowed_hosts()}),
        *([cors] if cors else []),
        (RequestContextMiddleware, {}),
        (DeadlineMiddleware, {"seconds": settings.api_request_timeout_seconds}),
        (
            route_stacks.RouteStacks,
            {
                "settings": settings,
                "verified_tokens": verified_tokens,
                # Read now: a test builds one app with the raw command handlers, one without.
                "command_routes": dict(route_stacks.COMMAND_ROUTES),
            },
        ),
    ]


def operation_id(route: APIRoute) -> str:
    """Stable operation ids: the endpoint function's name (`send_command`, `create_session`),
    which generated clients use as method names; FastAPI warns on a duplicate."""
    return route.name
