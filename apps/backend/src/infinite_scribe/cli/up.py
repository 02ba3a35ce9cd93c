"""Running the services: the API alone, or everything at once (`scribe up`)."""

import asyncio
import logging
import os
import signal
from collections.abc import Callable, Coroutine, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

import uvicorn
import uvicorn.supervisors

from infinite_scribe.api.app import create_app
from infinite_scribe.api.auth import create_access_token
from infinite_scribe.api.http_protocol import HttpLimits, limited_protocol
from infinite_scribe.embedded.kafka import EmbeddedKafka, port_open
from infinite_scribe.embedded.postgres import EmbeddedPostgres
from infinite_scribe.kafka.admin import ensure_topic
from infinite_scribe.observability.logs import configure_logging
from infinite_scribe.observability.tracing import traced_process
from infinite_scribe.persistence import migrate
from infinite_scribe.runtime.worker import CANCEL_MARGIN_SECONDS
from infinite_scribe.settings.services_file import (
    RunningServices,
    process_start_ticks,
    remove_services,
    write_services,
)
from infinite_scribe.settings.settings import Settings, load_settings

logger = logging.getLogger(__name__)

#: A background service run beside the API by `scribe up`: takes the settings and a stop event.
Background = Callable[[Settings, asyncio.Event], Coroutine[Any, Any, None]]

#: The user id of the development token `scribe up` prints.
DEV_USER_ID = UUID("00000000-0000-4000-8000-000000000001")


@dataclass
class RunningStack:
    settings: Settings
    started: list[str] = field(default_factory=list)
    embedded_database: bool = False
    embedded_kafka: bool = False


@contextmanager
def embedded_services(settings: Settings) -> Iterator[RunningStack]:
    """Start whatever is not configured (PostgreSQL, Kafka), migrate, and stop them on exit."""
    with ExitStack() as stack:
        # Decided before DATABASE_URL is filled in: the embedded database is what makes this a
        # laptop, where a frontend dev server on localhost may call the API (issue 12).
        updates: dict[str, object] = {"cors_allow_localhost": settings.allows_localhost_origins()}
        started: list[str] = []
        if settings.embedded_database:
            postgres = EmbeddedPostgres(settings.scribe_data_dir / "pg")
            updates["database_url"] = postgres.start()
            stack.callback(postgres.stop)
            started.append("PostgreSQL (embedded)")
        if settings.embedded_kafka:
            kafka = EmbeddedKafka(port=9092 if not port_open("127.0.0.1", 9092) else None)
            updates["kafka_bootstrap_servers"] = kafka.start()
            stack.callback(kafka.stop)
            started.append("Kafka-protocol broker (embedded, in-memory)")
        resolved = settings.model_copy(update=updates)
        database_url = resolved.resolved_database_url()
        servers = resolved.resolved_kafka_servers()
        assert database_url is not None and servers is not None
        migrate.upgrade(database_url)
        connection = resolved.kafka_connection()
        assert connection is not None
        ensure_topic(
            connection,
            resolved.kafka_topic,
            resolved.kafka_topic_partitions,
            resolved.kafka_topic_replication_factor,
        )
        yield RunningStack(resolved, started, settings.embedded_database, settings.embedded_kafka)


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
        uvicorn.Server(uvicorn_config(settings, host, port, access_log)).run()


def app_from_environment() -> Any:
    """The app factory each worker process calls: it re-reads the environment, which
    `run_api_workers` completed with the parent's resolved database and broker."""
    settings = load_settings()
    configure_logging(settings)
    return create_app(settings)


def run_api_workers(settings: Settings, host: str, port: int, access_log: bool) -> None:
    """API_WORKERS uvicorn processes sharing one listening socket (uvicorn's supervisor)."""
    # Settings found beside a running `scribe up` (services.json) are not in the environment
    # the worker processes read: hand them on explicitly.
    for variable, value in (
        ("DATABASE_URL", settings.resolved_database_url()),
        ("KAFKA_BOOTSTRAP_SERVERS", settings.resolved_kafka_servers()),
    ):
        if value:
            os.environ[variable] = value
    config = uvicorn_config(
        settings,
        host,
        port,
        access_log,
        app="infinite_scribe.cli.up:app_from_environment",
        factory=True,
        workers=settings.api_workers,
    )
    uvicorn.supervisors.Multiprocess(config, sockets=[config.bind_socket()]).run()


async def serve_with_workers(
    settings: Settings, server: uvicorn.Server, workers: list[Background]
) -> None:
    """Run the API server and the workers; when the server stops (Ctrl-C, SIGTERM) stop them."""
    stop = asyncio.Event()
    tasks = [asyncio.create_task(worker(settings, stop)) for worker in workers]
    try:
        await server.serve()
    finally:
        stop.set()
        if tasks:
            # Each worker finishes in-flight work within its grace, then the runtime cancels it.
            grace = settings.worker_shutdown_grace_seconds + CANCEL_MARGIN_SECONDS
            await asyncio.wait(tasks, timeout=grace)
        for task in tasks:
            task.cancel()


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


def run_up(settings: Settings, workers: list[Background], host: str, port: int) -> None:
    """`scribe up`: embedded services as needed, migrations, the API and the workers."""
    settings.check_serving_secret()
    # uvicorn re-raises the signal that stopped it once it has shut down; with SIGTERM mapped
    # to KeyboardInterrupt (like Ctrl-C) the embedded services below are always stopped.
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        with (
            embedded_services(settings) as running,
            traced_process(settings, "infinite-scribe"),
            announced(running, host, port),
        ):
            resolved = running.settings
            token = create_access_token(resolved, DEV_USER_ID, ttl_seconds=7 * 24 * 3600)
            print_banner(resolved, running.started, host, port, token)
            server = uvicorn.Server(uvicorn_config(resolved, host, port, access_log=True))
            asyncio.run(serve_with_workers(resolved, server, workers))
    except KeyboardInterrupt:
        logger.info("stopped")


@contextmanager
def announced(running: RunningStack, host: str, port: int) -> Iterator[None]:
    """services.json in SCRIBE_DATA_DIR while `up` runs, for the commands beside it."""
    resolved, pid = running.settings, os.getpid()
    database_url, servers = resolved.resolved_database_url(), resolved.resolved_kafka_servers()
    assert database_url is not None and servers is not None
    services = RunningServices(
        pid=pid,
        process_started=process_start_ticks(pid),
        database_url=database_url,
        kafka_bootstrap_servers=servers,
        api_url=f"http://{host}:{port}",
        embedded_database=running.embedded_database,
        embedded_kafka=running.embedded_kafka,
    )
    write_services(resolved.scribe_data_dir, services)
    try:
        yield
    finally:
        remove_services(resolved.scribe_data_dir, pid)


def print_banner(settings: Settings, started: list[str], host: str, port: int, token: str) -> None:
    lines = [
        "InfiniteScribe is starting",
        f"  API:        http://{host}:{port}/api/v1  (docs: http://{host}:{port}/docs)",
        f"  health:     http://{host}:{port}/api/v1/health",
        f"  console:    http://{host}:{port}/console  (sign in with the dev token below)",
        f"  DATABASE_URL={settings.resolved_database_url()}",
        f"  KAFKA_BOOTSTRAP_SERVERS={settings.resolved_kafka_servers()}",
        f"  embedded:   {', '.join(started) or 'nothing (external services)'}",
        f"  other `scribe` commands find these in {settings.scribe_data_dir / 'services.json'}",
        f"  dev token (user {DEV_USER_ID}, 7 days):",
        f"    {token}",
        "  Ctrl-C stops everything.",
    ]
    print("\n".join(lines), flush=True)
