"""Where the relay and the agent worker get what they talk to (issue 25), as api/container.py is
for the API: each one's options, read from `Settings` once, and its clients (database pool, unit
of work, producers, consumer), opened here on an `AsyncExitStack` and closed in reverse order,
also after a start that failed part way. The workers hold what they are handed; none of them
builds a pool or a Kafka client of its own.

Its layer sits between the workers and the adapters (import-linter): relay/ and agents/ import
it; it imports persistence/, kafka/ and settings/ only.
"""

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from typing import Any

import asyncpg

from infinite_scribe.application.ports.storage import UnitOfWork
from infinite_scribe.kafka.admin import ensure_topic
from infinite_scribe.kafka.consumer import Handler, KeyedConsumer, Peek, PoisonHandler
from infinite_scribe.kafka.dead_letters import DeadLetters, dead_letter_topic
from infinite_scribe.kafka.drafts import DraftPublisher, drafts_topic, ensure_drafts_topic
from infinite_scribe.persistence.database import create_pool, keep_session
from infinite_scribe.persistence.relay.members import RelayMembers
from infinite_scribe.persistence.relay.store import OutboxStore
from infinite_scribe.persistence.tasks.async_tasks import PostgresTaskQueries
from infinite_scribe.persistence.tasks.flow_handles import PostgresFlowQueries
from infinite_scribe.persistence.writes.composer import WriteComposer
from infinite_scribe.persistence.writes.repositories import unit_of_work
from infinite_scribe.settings.kafka import KafkaConnection, client_config
from infinite_scribe.settings.settings import Settings

#: The agent worker's database connections: many generations share them (each holds one only
#: for a short transaction at its start and end, never while the model writes).
WORKER_POOL_SIZE = 16
#: How long closing a pool may wait for its connections at shutdown.
POOL_CLOSE_SECONDS = 2.0


def _endpoints(settings: Settings, who: str) -> tuple[str, KafkaConnection]:
    url, servers = settings.resolved_database_url(), settings.resolved_kafka_servers()
    if url is None or servers is None:
        raise ValueError(f"the {who} needs DATABASE_URL and KAFKA_BOOTSTRAP_SERVERS")
    return url, settings.kafka_connection() or KafkaConnection(servers)


async def _close_pool(pool: asyncpg.Pool) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(pool.close(), POOL_CLOSE_SECONDS)


# Agent worker ------------------------------------------------------------------------------


@dataclass(frozen=True)
class WorkerOptions:
    """What the agent worker reads of the settings."""

    database_url: str
    kafka: KafkaConnection
    topic: str
    partitions: int
    replication: int
    drafts_retention_ms: int
    consumer_group: str
    session_timeout_ms: int
    max_in_flight: int
    event_max_bytes: int
    cluster_id: str | None
    probe_interval_seconds: float
    probe_timeout_seconds: float
    redrive_after_seconds: float
    redrive_interval_seconds: float
    flow_handle_ttl_seconds: float
    flow_settle_after_seconds: float
    flow_sweep_interval_seconds: float
    draft_interval_seconds: float
    generation_attempts: int
    retry_backoff_seconds: float

    @classmethod
    def of(cls, settings: Settings) -> "WorkerOptions":
        url, kafka = _endpoints(settings, "agent worker")
        return cls(
            database_url=url,
            kafka=kafka,
            topic=settings.kafka_topic,
            partitions=settings.kafka_topic_partitions,
            replication=settings.kafka_topic_replication_factor,
            drafts_retention_ms=settings.drafts_retention_ms,
            consumer_group=settings.worker_consumer_group,
            session_timeout_ms=settings.worker_session_timeout_ms,
            max_in_flight=settings.worker_max_in_flight,
            event_max_bytes=settings.event_max_bytes,
            cluster_id=settings.kafka_cluster_id,
            probe_interval_seconds=settings.relay_broker_probe_interval_seconds,
            probe_timeout_seconds=settings.relay_broker_probe_timeout_seconds,
            redrive_after_seconds=settings.worker_redrive_after_seconds,
            redrive_interval_seconds=settings.worker_redrive_interval_seconds,
            flow_handle_ttl_seconds=settings.flow_handle_ttl_seconds,
            flow_settle_after_seconds=settings.flow_settle_after_seconds,
            flow_sweep_interval_seconds=settings.flow_sweep_interval_seconds,
            draft_interval_seconds=settings.draft_interval_seconds,
            generation_attempts=settings.worker_generation_attempts,
            retry_backoff_seconds=settings.worker_retry_backoff_seconds,
        )

    def consumer_config(self) -> dict[str, Any]:
        timeout = self.session_timeout_ms
        return client_config(
            self.kafka,
            # A request waits for the broker's fetch to return: librdkafka's 500 ms default
            # long poll is most of a request's latency on a broker that holds it to the end.
            defaults={
                "heartbeat.interval.ms": max(timeout // 6, 100),
                "fetch.wait.max.ms": 20,
                # A subscribed topic the broker lacks (or one that gains partitions) is seen
                # at the next metadata refresh: librdkafka's default waits five minutes.
                "topic.metadata.refresh.interval.ms": 10_000,
            },
            owned={"group.id": self.consumer_group, "session.timeout.ms": timeout},
        )


@dataclass(frozen=True)
class WorkerClients:
    """What the agent worker is handed: its pool and what is built on it, its producers."""

    pool: asyncpg.Pool
    uow: UnitOfWork
    tasks: PostgresTaskQueries
    flow_queries: PostgresFlowQueries
    drafts: DraftPublisher
    dead_letters: DeadLetters


def worker_topics(options: WorkerOptions) -> None:
    """The events topic, and the dead-letter and drafts topics beside it. The events topic
    too: a worker that starts before anything produced to it would subscribe to a topic the
    broker does not have (issue 28)."""
    topic, partitions, replication = options.topic, options.partitions, options.replication
    ensure_topic(options.kafka, topic, partitions, replication)
    ensure_topic(options.kafka, dead_letter_topic(topic), partitions, replication)
    ensure_drafts_topic(
        options.kafka, drafts_topic(topic), partitions, replication, options.drafts_retention_ms
    )


@asynccontextmanager
async def worker_clients(options: WorkerOptions) -> AsyncIterator[WorkerClients]:
    """Open the agent worker's clients; close them (reverse order) when the block ends."""
    async with AsyncExitStack() as stack:
        await asyncio.to_thread(worker_topics, options)
        drafts = DraftPublisher(options.kafka, drafts_topic(options.topic))
        stack.push_async_callback(asyncio.to_thread, drafts.close)
        dead_letters = DeadLetters(options.kafka, options.consumer_group)
        stack.push_async_callback(asyncio.to_thread, dead_letters.close)
        pool = await create_pool(options.database_url, min_size=1, max_size=WORKER_POOL_SIZE)
        stack.push_async_callback(_close_pool, pool)
        composer = WriteComposer(options.topic, options.event_max_bytes)
        uow = unit_of_work(pool, composer, options.database_url)
        stack.push_async_callback(uow.close)
        yield WorkerClients(
            pool,
            uow,
            PostgresTaskQueries(pool, options.topic),
            PostgresFlowQueries(pool),
            drafts,
            dead_letters,
        )


def worker_consumer(
    options: WorkerOptions,
    handler: Handler,
    *,
    on_poison: PoisonHandler,
    is_transient: Callable[[BaseException], bool],
    peek: Peek,
) -> KeyedConsumer:
    """The key-ordered consumer of the events topic (it closes itself when its run ends)."""
    return KeyedConsumer(
        options.consumer_config(),
        [options.topic],
        handler,
        on_poison=on_poison,
        is_transient=is_transient,
        max_in_flight=options.max_in_flight,
        peek=peek,
    )


# Relay -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RelayOptions:
    """What the relay reads of the settings."""

    database_url: str
    kafka: KafkaConnection
    batch_size: int
    max_in_flight_batches: int
    max_per_key: int
    member_ttl_seconds: float
    poll_interval: float
    lease_seconds: float
    retry_backoff: tuple[float, ...]
    max_message_bytes: int
    message_timeout_ms: int
    cluster_id: str | None
    probe_interval_seconds: float
    probe_timeout_seconds: float
    health_max_pending_age: float

    @classmethod
    def of(cls, settings: Settings) -> "RelayOptions":
        url, kafka = _endpoints(settings, "relay")
        backoff = tuple(float(p) for p in settings.relay_retry_backoff.split(",") if p.strip())
        return cls(
            database_url=url,
            kafka=kafka,
            batch_size=settings.relay_batch_size,
            max_in_flight_batches=settings.relay_max_in_flight_batches,
            max_per_key=settings.relay_max_per_key,
            member_ttl_seconds=settings.relay_member_ttl_seconds,
            poll_interval=settings.relay_poll_interval,
            lease_seconds=settings.relay_lease_seconds,
            retry_backoff=backoff,
            max_message_bytes=settings.relay_max_message_bytes,
            message_timeout_ms=settings.relay_message_timeout_ms,
            cluster_id=settings.kafka_cluster_id,
            probe_interval_seconds=settings.relay_broker_probe_interval_seconds,
            probe_timeout_seconds=settings.relay_broker_probe_timeout_seconds,
            health_max_pending_age=settings.relay_health_max_pending_age,
        )


async def relay_pool(database_url: str, size: int) -> asyncpg.Pool:
    """The relay's connections commit asynchronously (synchronous_commit=off).

    Safe here and only here: a crash of PostgreSQL may forget the last few commits, i.e. a lease
    (the row is claimable again) or a SENT mark (the row is published again, which at-least-once
    allows; consumers deduplicate on ce_id). No row the relay did not write can be lost.
    """
    return await create_pool(
        database_url,
        min_size=2,
        max_size=size,
        server_settings={"synchronous_commit": "off", "application_name": "scribe-relay"},
        # Every relay statement is one autocommit statement that sets no session state (LISTEN
        # has its own connection, wakeup.py): asyncpg's reset on release would be one more
        # round trip per claim and per SENT mark (2.5% of the relay's CPU in a drain profile).
        reset=keep_session,
    )


@dataclass(frozen=True)
class RelayClients:
    """What the relay is handed: its pool, the outbox store on it and its membership row."""

    pool: asyncpg.Pool
    store: OutboxStore
    members: RelayMembers


@asynccontextmanager
async def relay_clients(options: RelayOptions, relay_id: str) -> AsyncIterator[RelayClients]:
    """Open the relay's pool (one connection per batch in flight, and three for claims, the
    gauges and health); close it when the block ends."""
    async with AsyncExitStack() as stack:
        pool = await relay_pool(options.database_url, options.max_in_flight_batches + 3)
        stack.push_async_callback(_close_pool, pool)
        store = OutboxStore(pool, relay_id, options.lease_seconds, options.max_per_key)
        yield RelayClients(pool, store, RelayMembers(pool, relay_id, options.member_ttl_seconds))
