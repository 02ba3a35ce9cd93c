"""Running the services: the API alone, or everything at once (`scribe up`)."""

import asyncio
import gc
import logging
import os
import signal
import sys
from collections.abc import Callable, Coroutine, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from typing import Any

import uvicorn
import uvicorn.supervisors

from infinite_scribe.api.dev_credential import DEV_USER_ID, development_token
from infinite_scribe.cli import outbox_calls
from infinite_scribe.cli.api_server import ApiServer, uvicorn_config
from infinite_scribe.cli.local_model import describe, engine_settings, local_engine
from infinite_scribe.embedded.kafka import EmbeddedKafka
from infinite_scribe.embedded.local_engine import LocalEngine
from infinite_scribe.embedded.net import free_ports
from infinite_scribe.embedded.postgres import EmbeddedPostgres
from infinite_scribe.embedded.supervisor import (
    Child,
    Supervisor,
    engine_child,
    kafka_child,
    postgres_child,
)
from infinite_scribe.kafka.admin import ensure_topic
from infinite_scribe.kafka.dead_letters import dead_letter_topic
from infinite_scribe.observability.tracing import traced_process
from infinite_scribe.runtime.worker import CANCEL_MARGIN_SECONDS
from infinite_scribe.settings.services_file import (
    RunningServices,
    process_start_ticks,
    remove_services,
    write_services,
)
from infinite_scribe.settings.settings import Settings

logger = logging.getLogger(__name__)

#: A background service run beside the API by `scribe up`: takes the settings and a stop event.
Background = Callable[[Settings, asyncio.Event], Coroutine[Any, Any, None]]


@dataclass
class RunningStack:
    settings: Settings
    started: list[str] = field(default_factory=list)
    embedded_database: bool = False
    embedded_kafka: bool = False
    #: What `up` restarts when it dies (embedded/supervisor.py).
    children: list[Child] = field(default_factory=list)


def create_topics(settings: Settings) -> None:
    """The main and the dead-letter topic, with the configured partitions and replicas."""
    connection = settings.kafka_connection()
    assert connection is not None
    for topic in (settings.kafka_topic, dead_letter_topic(settings.kafka_topic)):
        ensure_topic(
            connection,
            topic,
            settings.kafka_topic_partitions,
            settings.kafka_topic_replication_factor,
        )


def _side_by_side(settings: Settings) -> dict[str, object]:
    """Ports `up` picks so that two of them (two checkouts) never collide: the API's, the
    relay's and the worker's metrics take free ports unless *_METRICS_PORT say otherwise."""
    picked = {
        name: host
        for name, host in (
            ("api_metrics_port", settings.api_metrics_host),
            ("relay_metrics_port", settings.relay_metrics_host),
            ("worker_metrics_port", settings.worker_metrics_host),
        )
        if name not in settings.model_fields_set
    }
    return dict(zip(picked, free_ports(list(picked.values())), strict=True))


def _start_broker(settings: Settings, kafka: EmbeddedKafka) -> dict[str, object]:
    """Start the embedded broker: a free port unless EMBEDDED_KAFKA_PORT names one, and a
    cluster id of its own, so no client ever takes another instance's broker for it."""
    return {
        "kafka_bootstrap_servers": kafka.start(),
        "kafka_cluster_id": kafka.cluster_id,
        # No topic created by a produce: on a restarted (empty) broker one would get the
        # broker's partition count (4 on Tansu), not KAFKA_TOPIC_PARTITIONS, before the
        # supervisor creates it; the producer waits for it instead.
        "kafka_client_options": {
            "allow.auto.create.topics": "false",
            **settings.kafka_client_options,
        },
    }


def _spawn_engine(settings: Settings, stack: ExitStack) -> LocalEngine | None:
    """The local model engine LLM_LOCAL_MODEL asks for, spawned first (it loads its model
    while the database and the broker start) and stopped last (the workers call it to the
    end); None when the setting is unset."""
    engine = local_engine(settings)
    if engine is not None:
        engine.spawn()
        stack.callback(engine.stop)
    return engine


def _migrate(database_url: str) -> None:
    # Alembic (0.4 s of imports) loads when `up` migrates, not where its constants are read.
    from infinite_scribe.persistence import migrate

    migrate.upgrade(database_url)


@contextmanager
def embedded_services(settings: Settings) -> Iterator[RunningStack]:
    """Start whatever is not configured (PostgreSQL, Kafka) and the local model engine asked
    for, migrate, and stop them on exit (the engine last: the workers call it to the end)."""
    with ExitStack() as stack:
        engine = _spawn_engine(settings, stack)
        # Decided before DATABASE_URL is filled in: the embedded database is what makes this a
        # laptop, where a frontend dev server on localhost may call the API (issue 12).
        updates: dict[str, object] = {"cors_allow_localhost": settings.allows_localhost_origins()}
        updates |= _side_by_side(settings)
        if engine is not None:
            updates |= engine_settings(settings, engine)
        started: list[str] = []
        children: list[Child] = []
        # A data directory made now gets the default outbox mode; an existing one keeps its
        # own (an operator's `off` is not undone by the next `up`).
        new_database = not (settings.scribe_data_dir / "pg").exists()
        if settings.embedded_database:
            postgres = EmbeddedPostgres(settings.scribe_data_dir / "pg", watched=True)
            updates["database_url"] = postgres.start()
            stack.callback(postgres.stop)
            started.append("PostgreSQL (embedded)")
            children.append(postgres_child(postgres))
        if settings.embedded_kafka:
            kafka = EmbeddedKafka(
                settings.embedded_kafka_port or None, cluster_id=settings.kafka_cluster_id
            )
            updates |= _start_broker(settings, kafka)
            stack.callback(kafka.stop)
            started.append("Kafka-protocol broker (embedded, in-memory)")
        resolved = settings.model_copy(update=updates)
        database_url = resolved.resolved_database_url()
        assert database_url is not None and resolved.resolved_kafka_servers() is not None
        _migrate(database_url)
        if new_database and settings.embedded_database:
            logger.info(outbox_calls.default_mode(database_url, settings.embedded_outbox_mode))
        create_topics(resolved)
        if settings.embedded_kafka:
            children.append(kafka_child(kafka, lambda: create_topics(resolved)))
        if engine is not None:
            engine.wait_ready()
            started.append(describe(engine))
            children.append(engine_child(engine))
        yield RunningStack(
            resolved, started, settings.embedded_database, settings.embedded_kafka, children
        )


async def serve_with_workers(
    settings: Settings,
    server: uvicorn.Server,
    workers: list[Background],
    ready: Callable[[], None] | None = None,
) -> None:
    """Run the API server and the workers; when the server stops (Ctrl-C, SIGTERM) stop them.
    `ready` is called once the API listens."""
    stop = asyncio.Event()
    tasks = [asyncio.create_task(worker(settings, stop)) for worker in workers]
    if ready is not None:
        tasks.append(asyncio.create_task(_when_started(server, stop, ready)))
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


async def _when_started(
    server: uvicorn.Server, stop: asyncio.Event, ready: Callable[[], None]
) -> None:
    while not server.started:
        if stop.is_set():
            return
        await asyncio.sleep(0.05)
    ready()


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
            token = development_token(resolved)
            server = ApiServer(uvicorn_config(resolved, host, port, access_log=True))
            supervisor = Supervisor(running.children)
            asyncio.run(
                serve_with_workers(
                    resolved,
                    server,
                    [*workers, lambda _settings, stop: supervisor.run(stop)],
                    ready=lambda: print_banner(running, host, port, token),
                )
            )
            # The workers' Kafka clients, unreachable now, are destroyed here, while the broker
            # still runs: left to the interpreter's exit, librdkafka waited seconds for a
            # broker already stopped (issue 38).
            gc.collect()
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
        kafka_cluster_id=resolved.kafka_cluster_id,
        relay_metrics_url=_metrics_url(resolved.relay_metrics_host, resolved.relay_metrics_port),
        worker_metrics_url=_metrics_url(resolved.worker_metrics_host, resolved.worker_metrics_port),
        local_model_url=resolved.llm_base_url if resolved.uses_local_engine else None,
        local_model_name=resolved.llm_model if resolved.uses_local_engine else None,
    )
    write_services(resolved.scribe_data_dir, services)
    try:
        yield
    finally:
        remove_services(resolved.scribe_data_dir, pid)


def _metrics_url(host: str, port: int) -> str | None:
    return f"http://{host}:{port}" if port else None


def _model_line(settings: Settings) -> str:
    if settings.llm_provider == "offline":
        return "the offline generator (LLM_LOCAL_MODEL=smollm2 after `make model`: a real one)"
    where = "the local engine" if settings.uses_local_engine else "LLM_BASE_URL"
    return f"{settings.llm_model} at {settings.llm_base_url} ({where})"


def print_banner(running: RunningStack, host: str, port: int, token: str) -> None:
    """Once everything listens: plain lines on stderr (where the log goes, so they come in
    order after it), never a log record, so they stay readable with LOG_FORMAT=json."""
    settings = running.settings
    api_metrics = _metrics_url(settings.api_metrics_host, settings.api_metrics_port)
    relay = _metrics_url(settings.relay_metrics_host, settings.relay_metrics_port)
    worker = _metrics_url(settings.worker_metrics_host, settings.worker_metrics_port)
    cluster = f" (cluster {settings.kafka_cluster_id})" if settings.kafka_cluster_id else ""
    lines = [
        "",
        "InfiniteScribe is ready",
        f"  API:        http://{host}:{port}/api/v1  (docs: http://{host}:{port}/docs)",
        f"  health:     http://{host}:{port}/api/v1/health",
        f"  metrics:    API {api_metrics or 'off'}/metrics  relay {relay or 'off'}/health"
        f"  worker {worker or 'off'}/health",
        f"  console:    http://{host}:{port}/console  (sign in with the dev token below)",
        f"  DATABASE_URL={settings.resolved_database_url()}",
        f"  KAFKA_BOOTSTRAP_SERVERS={settings.resolved_kafka_servers()}{cluster}",
        f"  model:      {_model_line(settings)}",
        f"  embedded:   {', '.join(running.started) or 'nothing (external services)'}",
        f"  other `scribe` commands find these in {settings.scribe_data_dir / 'services.json'}",
        f"  dev token (user {DEV_USER_ID}, 7 days):",
        f"    {token}",
        "  Ctrl-C stops everything.",
        "",
    ]
    sys.stderr.write("\n".join(lines) + "\n")
    sys.stderr.flush()
