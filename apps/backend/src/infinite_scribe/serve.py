"""Running the services: the API alone, or everything at once (`scribe up`)."""

import asyncio
import logging
import signal
from collections.abc import Callable, Coroutine, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

import uvicorn

from infinite_scribe.api.app import create_app
from infinite_scribe.api.auth import create_access_token
from infinite_scribe.config import Settings
from infinite_scribe.embedded.kafka import EmbeddedKafka, port_open
from infinite_scribe.embedded.postgres import EmbeddedPostgres
from infinite_scribe.kafka_admin import ensure_topic
from infinite_scribe.persistence import migrate

logger = logging.getLogger(__name__)

#: A background service run beside the API by `scribe up`: takes the settings and a stop event.
Background = Callable[[Settings, asyncio.Event], Coroutine[Any, Any, None]]

#: The user id of the development token `scribe up` prints.
DEV_USER_ID = UUID("00000000-0000-4000-8000-000000000001")


@dataclass
class RunningStack:
    settings: Settings
    started: list[str] = field(default_factory=list)


@contextmanager
def embedded_services(settings: Settings) -> Iterator[RunningStack]:
    """Start whatever is not configured (PostgreSQL, Kafka), migrate, and stop them on exit."""
    with ExitStack() as stack:
        updates: dict[str, object] = {}
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
        ensure_topic(servers, resolved.kafka_topic, resolved.kafka_topic_partitions)
        yield RunningStack(resolved, started)


def uvicorn_config(settings: Settings, host: str, port: int, access_log: bool) -> uvicorn.Config:
    return uvicorn.Config(
        create_app(settings),
        host=host,
        port=port,
        log_level=settings.log_level.lower(),
        access_log=access_log,
        loop="uvloop",
        http="httptools",
        lifespan="on",
    )


def run_api(settings: Settings, host: str, port: int, access_log: bool = True) -> None:
    settings.check_serving_secret()
    uvicorn.Server(uvicorn_config(settings, host, port, access_log)).run()


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
            await asyncio.wait(tasks, timeout=10)
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
        with embedded_services(settings) as running:
            resolved = running.settings
            token = create_access_token(resolved, DEV_USER_ID, ttl_seconds=7 * 24 * 3600)
            print_banner(resolved, running.started, host, port, token)
            server = uvicorn.Server(uvicorn_config(resolved, host, port, access_log=True))
            asyncio.run(serve_with_workers(resolved, server, workers))
    except KeyboardInterrupt:
        logger.info("stopped")


def print_banner(settings: Settings, started: list[str], host: str, port: int, token: str) -> None:
    lines = [
        "InfiniteScribe is starting",
        f"  API:        http://{host}:{port}/api/v1  (docs: http://{host}:{port}/docs)",
        f"  health:     http://{host}:{port}/api/v1/health",
        f"  DATABASE_URL={settings.resolved_database_url()}",
        f"  KAFKA_BOOTSTRAP_SERVERS={settings.resolved_kafka_servers()}",
        f"  embedded:   {', '.join(started) or 'nothing (external services)'}",
        f"  dev token (user {DEV_USER_ID}, 7 days):",
        f"    {token}",
        "  Ctrl-C stops everything.",
    ]
    print("\n".join(lines), flush=True)
