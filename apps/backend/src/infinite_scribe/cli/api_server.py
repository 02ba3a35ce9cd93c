"""Serving the API: the one uvicorn configuration (limits, logging, shutdown) and the ways it
runs (one process, or API_WORKERS processes sharing a socket); `scribe api` and `scribe up`
use it."""

import os
from typing import Any

import uvicorn
import uvicorn.supervisors

from infinite_scribe.api.app import create_app
from infinite_scribe.api.deps import services_of
from infinite_scribe.api.http_protocol import HttpLimits, limited_protocol
from infinite_scribe.observability.logs import configure_logging
from infinite_scribe.observability.tracing import traced_process
from infinite_scribe.settings.settings import Settings, load_settings

#: How `run_api_workers` tells each worker process's app factory whether to log every request.
ACCESS_LOG_VARIABLE = "SCRIBE_API_ACCESS_LOG"


#: Seconds uvicorn waits for open requests at shutdown (streams reconnect to another process).
STREAM_SHUTDOWN_GRACE_SECONDS = 3


def uvicorn_config(
    settings: Settings, host: str, port: int, access_log: bool, **options: Any
) -> uvicorn.Config:
    """The one uvicorn configuration (limits, logging, shutdown) of every way the API is served;
    `options` may name the app as a factory string for worker processes."""
    options.setdefault("app", None)
    app = options.pop("app") or create_app(settings)
    return uvicorn.Config(
        app,
        host=host,
        port=port,
        log_level=settings.log_level.lower(),
        access_log=access_log,
        # Our logging config (observability/logs.py) formats uvicorn's lines too.
        log_config=None,
        loop="uvloop",
        # httptools with the head size/count limits and the read timeout (api/http_protocol.py).
        http=limited_protocol(http_limits(settings)),
        lifespan="on",
        # Live streams (SSE) never finish on their own: give them a moment, then cut them.
        timeout_graceful_shutdown=STREAM_SHUTDOWN_GRACE_SECONDS,
        **options,
    )


class ApiServer(uvicorn.Server):
    """uvicorn's server that ends the live streams (SSE, the console's pages) as it starts to
    stop: left open they held the shutdown for the whole grace, then were cancelled with an
    ERROR and a traceback in the log (issue 38). The browsers reconnect to the next server."""

    async def shutdown(self, sockets: list[Any] | None = None) -> None:
        state = getattr(self.config.app, "state", None)
        if state is not None and hasattr(state, "services"):  # started (not a factory string)
            services_of(self.config.app).live.close_streams()
        await super().shutdown(sockets)


def http_limits(settings: Settings) -> HttpLimits:
    return HttpLimits(
        max_header_bytes=settings.http_max_header_bytes,
        max_headers=settings.http_max_headers,
        read_timeout_seconds=settings.http_read_timeout_seconds,
    )


def run_api(settings: Settings, host: str, port: int, access_log: bool = True) -> None:
    settings.check_serving_secret()
    if settings.api_workers > 1:
        run_api_workers(settings, host, port, access_log)
        return
    with traced_process(settings, "infinite-scribe-api"):
        ApiServer(uvicorn_config(settings, host, port, access_log)).run()


def app_from_environment() -> Any:
    """The app factory each worker process calls: it re-reads the environment, which
    `run_api_workers` completed with the parent's resolved database and broker."""
    settings = load_settings()
    # The parent's --access-log / --no-access-log: this process configures logging anew.
    configure_logging(settings, access_log=os.environ.get(ACCESS_LOG_VARIABLE) != "0")
    return create_app(settings)


def run_api_workers(settings: Settings, host: str, port: int, access_log: bool) -> None:
    """API_WORKERS uvicorn processes sharing one listening socket (uvicorn's supervisor)."""
    # Settings found beside a running `scribe up` (services.json) are not in the environment
    # the worker processes read: hand them on explicitly.
    for variable, value in (
        ("DATABASE_URL", settings.resolved_database_url()),
        ("KAFKA_BOOTSTRAP_SERVERS", settings.resolved_kafka_servers()),
        ("KAFKA_CLUSTER_ID", settings.kafka_cluster_id),
    ):
        if value:
            os.environ[variable] = value
    os.environ[ACCESS_LOG_VARIABLE] = "1" if access_log else "0"
    config = uvicorn_config(
        settings,
        host,
        port,
        access_log,
        app="infinite_scribe.cli.api_server:app_from_environment",
        factory=True,
        workers=settings.api_workers,
    )
    uvicorn.supervisors.Multiprocess(config, sockets=[config.bind_socket()]).run()
