"""The agent worker (`scribe worker`): consumes generation requests from Kafka in a consumer
group, answers them through the outbox, and re-drives tasks that nobody is working on.

It runs on the shared worker runtime (signals, grace, /health and /metrics on
WORKER_METRICS_PORT); `scribe up` runs it beside the API and the relay.
"""

import asyncio
import contextlib
import logging
from typing import Any

from prometheus_client import CollectorRegistry

from infinite_scribe.agents.generation import GenerationHandler
from infinite_scribe.agents.llm.factory import build_provider
from infinite_scribe.agents.llm.port import LLMProvider
from infinite_scribe.agents.metrics import AgentMetrics
from infinite_scribe.application.agent_work import AgentWork
from infinite_scribe.application.flows import FlowControl
from infinite_scribe.domain.errors import ConcurrencyConflict, StorageUnavailable
from infinite_scribe.kafka.admin import ensure_topic
from infinite_scribe.kafka.consumer import Delivery, PartitionedConsumer
from infinite_scribe.kafka.dead_letters import DeadLetters, dead_letter_topic
from infinite_scribe.persistence.database import create_pool
from infinite_scribe.persistence.event_store import EventStore
from infinite_scribe.persistence.flow_handles import PostgresFlowQueries
from infinite_scribe.persistence.repositories import unit_of_work
from infinite_scribe.persistence.tasks import PostgresTaskQueries
from infinite_scribe.runtime.worker import RuntimeOptions, run_worker, serve
from infinite_scribe.settings.kafka import KafkaConnection, client_config
from infinite_scribe.settings.settings import Settings

logger = logging.getLogger(__name__)

SOURCE_SERVICE = "agent-worker"


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
        self.provider = provider or build_provider(settings)
        self.kafka = settings.kafka_connection() or KafkaConnection(servers)
        self.dead_letters = DeadLetters(self.kafka, settings.worker_consumer_group)
        self.consumer: PartitionedConsumer | None = None
        self.tasks: PostgresTaskQueries | None = None
        self.flows: FlowControl | None = None
        self._pool: Any = None
        self._uow: Any = None

    async def startup(self) -> None:
        topic = self.settings.kafka_topic
        partitions = self.settings.kafka_topic_partitions
        await asyncio.to_thread(
            ensure_topic,
            self.kafka,
            dead_letter_topic(topic),
            partitions,
            self.settings.kafka_topic_replication_factor,
        )
        self._pool = await create_pool(self.database_url, min_size=1, max_size=8)
        self.tasks = PostgresTaskQueries(self._pool, topic)
        self._uow = unit_of_work(
            self._pool, EventStore(topic, self.settings.event_max_bytes), self.database_url
        )
        uow = self._uow
        self.flows = FlowControl(
            uow,
            PostgresFlowQueries(self._pool),
            ttl_seconds=self.settings.flow_handle_ttl_seconds,
            source_service=SOURCE_SERVICE,
        )
        work = AgentWork(
            uow,
            self.tasks,
            consumer=self.settings.worker_consumer_group,
            source_service=SOURCE_SERVICE,
            flows=self.flows,
        )
        handler = GenerationHandler(
            work,
            self.provider,
            self.dead_letters,
            self.metrics,
            attempts=self.settings.worker_generation_attempts,
            backoff_seconds=self.settings.worker_retry_backoff_seconds,
            heartbeat_seconds=max(self.settings.worker_redrive_after_seconds / 3, 0.1),
        )
        self.consumer = PartitionedConsumer(
            self._consumer_config(),
            [topic],
            handler,
            on_poison=self._poison,
            is_transient=is_transient,
            max_queued=self.settings.worker_max_queued,
        )
        logger.info("agent worker started (provider %s)", self.provider.name)

    def _consumer_config(self) -> dict[str, Any]:
        timeout = self.settings.worker_session_timeout_ms
        return client_config(
            self.kafka,
            defaults={"heartbeat.interval.ms": max(timeout // 6, 100)},
            owned={"group.id": self.settings.worker_consumer_group, "session.timeout.ms": timeout},
        )

    async def _poison(self, delivery: Delivery, error: BaseException) -> None:
        self.metrics.poison.inc()
        await self.dead_letters.send(delivery, type(error).__name__, str(error))

    async def work(self, stop: asyncio.Event, grace_seconds: float) -> None:
        assert self.consumer is not None
        helpers = [
            asyncio.create_task(self._sweep(stop)),
            asyncio.create_task(self._lag(stop)),
            asyncio.create_task(self._sweep_flows(stop)),
        ]
        try:
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
        await self.provider.aclose()
        if self._pool is not None:
            await self._uow.close()
            await self._pool.close()
        logger.info("agent worker stopped")

    async def health(self) -> tuple[bool, dict[str, object]]:
        details: dict[str, object] = {"worker": self.name, "provider": self.provider.name}
        try:
            assert self._pool is not None
            await asyncio.wait_for(self._pool.fetchval("SELECT 1"), 2)
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
