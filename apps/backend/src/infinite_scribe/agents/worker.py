"""The agent worker (`scribe worker`): consumes generation requests from Kafka in a consumer
group, answers them through the outbox, and re-drives tasks that nobody is working on.

Generations for different sessions run concurrently (WORKER_MAX_IN_FLIGHT messages, of which
LLM_MAX_CONCURRENCY model calls), one session's in order; drafts go to the writers' streams
over the drafts topic. It runs on the shared worker runtime (signals, grace, /health and
/metrics on WORKER_METRICS_PORT); `scribe up` runs it beside the API and the relay.
"""

import asyncio
import contextlib
import logging
from typing import Any

from prometheus_client import CollectorRegistry

from infinite_scribe.agents.cancellation import Cancellations
from infinite_scribe.agents.generation import GenerationHandler, Streaming
from infinite_scribe.agents.heartbeats import Heartbeats
from infinite_scribe.agents.llm.factory import build_provider, gate
from infinite_scribe.agents.llm.gate import ModelGate
from infinite_scribe.agents.llm.port import LLMProvider
from infinite_scribe.agents.metrics import AgentMetrics
from infinite_scribe.application.agent_work import AgentWork
from infinite_scribe.application.flows import FlowControl
from infinite_scribe.domain.errors import ConcurrencyConflict, StorageUnavailable
from infinite_scribe.kafka.admin import admin_client, ensure_topic
from infinite_scribe.kafka.cluster import ClusterGuard
from infinite_scribe.kafka.consumer import Delivery, KeyedConsumer
from infinite_scribe.kafka.dead_letters import DeadLetters, dead_letter_topic
from infinite_scribe.kafka.drafts import DraftPublisher, drafts_topic, ensure_drafts_topic
from infinite_scribe.persistence.database import create_pool
from infinite_scribe.persistence.flow_handles import PostgresFlowQueries
from infinite_scribe.persistence.genesis_adapters import PoolProbe
from infinite_scribe.persistence.repositories import unit_of_work
from infinite_scribe.persistence.tasks import PostgresTaskQueries
from infinite_scribe.persistence.writes import WriteComposer
from infinite_scribe.runtime.deadlines import answered_within
from infinite_scribe.runtime.worker import RuntimeOptions, run_worker, serve
from infinite_scribe.settings.kafka import KafkaConnection, client_config
from infinite_scribe.settings.settings import Settings

logger = logging.getLogger(__name__)

SOURCE_SERVICE = "agent-worker"
#: Database connections: many generations share them (each holds one only for a short
#: transaction at its start and end, never while the model writes).
POOL_SIZE = 16


def is_transient(error: BaseException) -> bool:
    """Failures of our own infrastructure: retried until they pass, never dead-lettered."""
    return isinstance(error, StorageUnavailable | ConcurrencyConflict | OSError)


class AgentWorker:
    """A `runtime.Worker`: the consumer, the re-drive sweeper and the lag gauge."""

    name = SOURCE_SERVICE

    def __init__(self, settings: Settings, provider: LLMProvider | None = None) -> None:
        url, servers = settings.resolved_database_url(), settings.resolved_kafka_servers()
        if url is None or servers is None:
            raise ValueError("the agent worker needs DATABASE_URL and KAFKA_BOOTSTRAP_SERVERS")
        self.settings, self.database_url, self.servers = settings, url, servers
        self.metrics = AgentMetrics()
        self.registry: CollectorRegistry = self.metrics.registry
        self.provider: ModelGate = (
            build_provider(settings) if provider is None else gate(provider, settings)
        )
        self.provider.on_rate_limited = self.metrics.rate_limited.inc
        self.metrics.model_in_flight.set_function(lambda: self.provider.in_flight)
        self.metrics.model_peak.set_function(lambda: self.provider.peak_in_flight)
        self.kafka = settings.kafka_connection() or KafkaConnection(servers)
        self.dead_letters = DeadLetters(self.kafka, settings.worker_consumer_group)
        # Refuses to handle messages of a broker of another cluster (issue 21).
        self.cluster = ClusterGuard(
            admin_client(self.kafka),
            settings.kafka_cluster_id,
            settings.relay_broker_probe_interval_seconds,
            settings.relay_broker_probe_timeout_seconds,
        )
        self.drafts: DraftPublisher | None = None
        self.cancellations = Cancellations()
        self.heartbeats: Heartbeats | None = None
        self.consumer: KeyedConsumer | None = None
        self._handler: GenerationHandler | None = None
        self.tasks: PostgresTaskQueries | None = None
        self.flows: FlowControl | None = None
        self._pool: Any = None
        self._uow: Any = None

    async def startup(self) -> None:
        await asyncio.to_thread(self._topics)
        self.drafts = DraftPublisher(self.kafka, drafts_topic(self.settings.kafka_topic))
        self._pool = await create_pool(self.database_url, min_size=1, max_size=POOL_SIZE)
        self.tasks = PostgresTaskQueries(self._pool, self.settings.kafka_topic)
        self._uow = unit_of_work(
            self._pool,
            WriteComposer(self.settings.kafka_topic, self.settings.event_max_bytes),
            self.database_url,
        )
        self.flows = FlowControl(
            self._uow,
            PostgresFlowQueries(self._pool),
            ttl_seconds=self.settings.flow_handle_ttl_seconds,
            source_service=SOURCE_SERVICE,
        )
        work = AgentWork(
            self._uow,
            self.tasks,
            consumer=self.settings.worker_consumer_group,
            source_service=SOURCE_SERVICE,
            flows=self.flows,
        )
        self.consumer = self._consumer(work)
        consumer = self.consumer
        self.metrics.in_flight.set_function(lambda: consumer.in_flight)
        logger.info("agent worker started (provider %s)", self.provider.name)

    def _topics(self) -> None:
        """The events topic, and the dead-letter and drafts topics beside it. The events topic
        too: a worker that starts before anything produced to it would subscribe to a topic
        the broker does not have (issue 28)."""
        settings = self.settings
        topic, partitions = settings.kafka_topic, settings.kafka_topic_partitions
        replication = settings.kafka_topic_replication_factor
        ensure_topic(self.kafka, topic, partitions, replication)
        ensure_topic(self.kafka, dead_letter_topic(topic), partitions, replication)
        ensure_drafts_topic(
            self.kafka, drafts_topic(topic), partitions, replication, settings.drafts_retention_ms
        )

    def _consumer(self, work: AgentWork) -> KeyedConsumer:
        """The key-ordered consumer whose handler answers generation requests."""
        assert self.drafts is not None
        settings = self.settings
        self.heartbeats = Heartbeats(
            work.heartbeat, max(settings.worker_redrive_after_seconds / 3, 0.1)
        )
        streaming = Streaming(
            self.drafts, settings.draft_interval_seconds, self.cancellations, self.heartbeats
        )
        handler = GenerationHandler(
            work,
            self.provider,
            self.dead_letters,
            self.metrics,
            streaming,
            attempts=settings.worker_generation_attempts,
            backoff_seconds=settings.worker_retry_backoff_seconds,
        )
        self._handler = handler
        return KeyedConsumer(
            self._consumer_config(),
            [settings.kafka_topic],
            self._guarded,
            on_poison=self._poison,
            is_transient=is_transient,
            max_in_flight=settings.worker_max_in_flight,
            peek=self.cancellations.peek,
        )

    async def _guarded(self, delivery: Delivery) -> None:
        self.cluster.check()  # raises while the broker is another cluster's (issue 21)
        assert self._handler is not None
        await self._handler(delivery)

    def _consumer_config(self) -> dict[str, Any]:
        timeout = self.settings.worker_session_timeout_ms
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
            owned={"group.id": self.settings.worker_consumer_group, "session.timeout.ms": timeout},
        )

    async def _poison(self, delivery: Delivery, error: BaseException) -> None:
        self.metrics.poison.inc()
        await self.dead_letters.send(delivery, type(error).__name__, str(error))

    async def work(self, stop: asyncio.Event, grace_seconds: float) -> None:
        assert self.consumer is not None and self.heartbeats is not None
        helpers = [
            asyncio.create_task(self.heartbeats.run(stop)),
            asyncio.create_task(self._sweep(stop)),
            asyncio.create_task(self._lag(stop)),
            asyncio.create_task(self._sweep_flows(stop)),
            asyncio.create_task(self.cluster.run(stop)),
        ]
        try:
            # Not one group join on a broker of another cluster: the group there is another
            # instance's, whose partitions this worker would take and not handle.
            await self.cluster.wait_verified(stop)
            await self.consumer.run(stop, grace_seconds)
        finally:
            for task in helpers:
                task.cancel()
            await asyncio.gather(*helpers, return_exceptions=True)

    async def _sweep(self, stop: asyncio.Event) -> None:
        """Re-publish the requests of tasks nobody works on (e.g. the broker lost them)."""
        assert self.tasks is not None
        while not stop.is_set():
            try:
                count = await self.tasks.redrive_stale(
                    self.settings.worker_redrive_after_seconds, 100
                )
                if count:
                    logger.info("re-published %d stale request(s)", count)
                    self.metrics.redriven.inc(count)
            except StorageUnavailable as error:
                logger.warning("re-drive sweep failed: %s", error)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), self.settings.worker_redrive_interval_seconds)

    async def _sweep_flows(self, stop: asyncio.Event) -> None:
        """Land pauses a dead worker left PENDING_PAUSE, and expire handles past their time
        (docs/flows.md: the agent worker owns the flows it paused)."""
        assert self.flows is not None
        while not stop.is_set():
            try:
                landed = await self.flows.settle(self.settings.flow_settle_after_seconds)
                expired = await self.flows.expire_due()
                if landed or expired:
                    logger.info("flows: %d pause(s) landed, %d expired", landed, expired)
            except (StorageUnavailable, ConcurrencyConflict) as error:
                logger.warning("flow sweep failed: %s", error)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), self.settings.flow_sweep_interval_seconds)

    async def _lag(self, stop: asyncio.Event) -> None:
        assert self.consumer is not None
        reported: set[str] = set()
        while not stop.is_set():
            with contextlib.suppress(Exception):
                current = {str(p): lag for (_, p), lag in (await self.consumer.lag()).items()}
                for partition, lag in current.items():
                    self.metrics.lag.labels(partition).set(lag)
                # A partition given to another worker is its to report: a stale value here
                # would keep a lag alert firing after a rebalance.
                for partition in reported - current.keys():
                    self.metrics.lag.remove(partition)
                reported = set(current)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), 5)

    async def shutdown(self) -> None:
        await asyncio.to_thread(self.dead_letters.close)
        if self.drafts is not None:
            await asyncio.to_thread(self.drafts.close)
        await self.provider.aclose()
        if self._pool is not None:
            await self._uow.close()
            await self._pool.close()
        logger.info("agent worker stopped")

    async def health(self) -> tuple[bool, dict[str, object]]:
        details: dict[str, object] = {"worker": self.name, "provider": self.provider.name}
        if self.cluster.foreign:
            details["broker_problem"] = self.cluster.problem
            return False, details
        try:
            assert self._pool is not None
            # answered_within, not wait_for: a frozen database must not hold /health (issue 21).
            await answered_within(PoolProbe(self._pool).ping(), 1.5)
        except Exception as error:
            details["database_error"] = str(error)
            return False, details
        return True, details


def runtime_options(settings: Settings) -> RuntimeOptions:
    return RuntimeOptions(
        grace_seconds=settings.worker_shutdown_grace_seconds,
        metrics_host=settings.worker_metrics_host,
        metrics_port=settings.worker_metrics_port,
    )


def run(settings: Settings) -> None:
    """Block until SIGTERM/SIGINT, then exit 0."""
    serve(lambda: AgentWorker(settings), runtime_options(settings))


async def run_agent_worker(settings: Settings, stop: asyncio.Event) -> None:
    """A `serve.Background`: the agent worker beside the API (used by `scribe up`)."""
    await run_worker(AgentWorker(settings), stop, runtime_options(settings))
