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
from contextlib import AsyncExitStack
from dataclasses import dataclass

from prometheus_client import CollectorRegistry

from infinite_scribe.agents.cancellation import Cancellations
from infinite_scribe.agents.chapter_writer import chapter_writer
from infinite_scribe.agents.chapters import ChapterHandler, is_chapter_request
from infinite_scribe.agents.continuity.bible import read_bible, read_for
from infinite_scribe.agents.continuity.handler import (
    ContinuityHandler,
    OneCore,
    is_continuity_delivery,
)
from infinite_scribe.agents.continuity.model_review import chapter_reviewer
from infinite_scribe.agents.follows import Follows
from infinite_scribe.agents.generation import GenerationHandler, Streaming
from infinite_scribe.agents.heartbeats import Heartbeats
from infinite_scribe.agents.llm.offline import segment
from infinite_scribe.agents.metrics import AgentMetrics
from infinite_scribe.agents.parts import AgentParts, EventConsumer, WorkerClients
from infinite_scribe.agents.worker_registry import WorkerPresence
from infinite_scribe.application.agent_work import AgentWork
from infinite_scribe.application.chapter_work import ChapterWork
from infinite_scribe.application.continuity import ContinuityWork
from infinite_scribe.application.flows import FlowControl
from infinite_scribe.domain.errors import ConcurrencyConflict, StorageUnavailable
from infinite_scribe.kafka.consumer import Delivery
from infinite_scribe.persistence.genesis.adapters import PoolProbe
from infinite_scribe.persistence.operator.workers import PostgresWorkerRegistry
from infinite_scribe.runtime.deadlines import answered_within
from infinite_scribe.runtime.worker import RuntimeOptions, run_worker

logger = logging.getLogger(__name__)

SOURCE_SERVICE = "agent-worker"


@dataclass(frozen=True)
class _Running:
    """What the worker built at start-up on the clients it was handed."""

    clients: WorkerClients
    flows: FlowControl
    heartbeats: Heartbeats
    follows: Follows
    consumer: EventConsumer


def is_transient(error: BaseException) -> bool:
    """Failures of our own infrastructure: retried until they pass, never dead-lettered."""
    return isinstance(error, StorageUnavailable | ConcurrencyConflict | OSError)


class AgentWorker:
    """A `runtime.Worker`: the consumer, the re-drive sweeper and the lag gauge. It is handed
    its parts (agents/parts.py) by the composition root (composition/agents.py)."""

    name = SOURCE_SERVICE

    def __init__(self, parts: AgentParts) -> None:
        self.options = parts.options
        self._runtime = parts.runtime
        self.metrics = AgentMetrics()
        self.registry: CollectorRegistry = self.metrics.registry
        self.provider = parts.provider
        self.provider.on_rate_limited = self.metrics.rate_limited.inc
        model = self.provider.model or self.provider.name
        self.metrics.model_info.labels(self.provider.name, model).set(1)
        self.metrics.model_in_flight.set_function(lambda: self.provider.in_flight)
        self.metrics.model_peak.set_function(lambda: self.provider.peak_in_flight)
        self.cluster = parts.cluster
        self.model_health = parts.model_health
        #: Who writes chapters (issue 39): the provider's model, or the offline writer.
        self.chapter_writer = parts.chapters or chapter_writer(self.provider, 0.0)
        self.models = parts.models
        self.cancellations = Cancellations()
        self._open_clients = parts.clients
        self._new_consumer = parts.consumer
        self._stack = AsyncExitStack()
        self._running: _Running | None = None

    def runtime_options(self) -> RuntimeOptions:
        """How the worker runtime runs this worker (WORKER_METRICS_PORT, the grace)."""
        return self._runtime

    async def run(self, stop: asyncio.Event) -> None:
        """The whole lifecycle on the worker runtime, inside a process that owns `stop`."""
        await run_worker(self, stop, self._runtime)

    @property
    def running(self) -> "_Running":
        """What `startup` built (the worker runtime calls `work` only after it)."""
        if self._running is None:
            raise RuntimeError("the agent worker has not started")
        return self._running

    @property
    def consumer(self) -> EventConsumer | None:
        """The consumer once started (None before: tests and tools wait for assignments)."""
        return None if self._running is None else self._running.consumer

    async def _warm(self) -> None:
        """The offline writer's Chinese dictionary (0.5 s, 70 MB) loaded before the first
        request, not during it: its load holds the GIL, so the first Chinese writer's proposal
        stalled every request on the process's loop for 0.5 s (issue 55,
        bench/longest_inputs.py). Here it delays the worker's readiness instead."""
        if self.provider.name == "offline":
            await asyncio.to_thread(segment.warm)

    async def startup(self) -> None:
        await self._warm()
        clients = await self._stack.enter_async_context(self._open_clients())
        options = self.options
        flows = FlowControl(
            clients.uow,
            clients.flow_queries,
            ttl_seconds=options.flow_handle_ttl_seconds,
            source_service=SOURCE_SERVICE,
        )
        work = AgentWork(
            clients.uow,
            clients.tasks,
            consumer=options.consumer_group,
            source_service=SOURCE_SERVICE,
            flows=flows,
        )
        heartbeats = Heartbeats(work.heartbeat, max(options.redrive_after_seconds / 3, 0.1))
        follows = Follows(None if clients.follows is None else clients.follows.followed)
        streaming = Streaming(
            clients.drafts, options.draft_interval_seconds, self.cancellations, heartbeats, follows
        )
        handler = self._generation_handler(work, clients, streaming)
        chapters = self._chapter_handler(clients, streaming)
        continuity = self._continuity_handler(clients)

        async def guarded(delivery: Delivery) -> None:
            self.cluster.check()  # raises while the broker is another cluster's (issue 21)
            if is_continuity_delivery(delivery):
                await continuity(delivery)
            else:
                await (chapters if is_chapter_request(delivery) else handler)(delivery)

        async def poison(delivery: Delivery, error: BaseException) -> None:
            self.metrics.poison.inc()
            await clients.dead_letters.send(delivery, type(error).__name__, str(error))

        consumer = self._new_consumer(
            guarded,
            on_poison=poison,
            is_transient=is_transient,
            peek=self.cancellations.peek,
        )
        self.metrics.in_flight.set_function(lambda: consumer.in_flight)
        self._running = _Running(clients, flows, heartbeats, follows, consumer)
        logger.info("agent worker started (provider %s)", self.provider.name)

    def _generation_handler(
        self, work: AgentWork, clients: WorkerClients, streaming: Streaming
    ) -> GenerationHandler:
        """The Genesis stages' handler: one request in, a proposal out (retried, then dead)."""
        options = self.options
        return GenerationHandler(
            work,
            self.provider,
            clients.dead_letters,
            self.metrics,
            streaming,
            attempts=options.generation_attempts,
            backoff_seconds=options.retry_backoff_seconds,
            models=self.models,
        )

    def _chapter_handler(self, clients: WorkerClients, streaming: Streaming) -> ChapterHandler:
        """The chapter requests' handler (issue 39), on the same clients and streams."""
        options = self.options
        return ChapterHandler(
            ChapterWork(clients.uow, options.consumer_group, SOURCE_SERVICE),
            self.chapter_writer,
            clients.dead_letters,
            self.metrics,
            streaming,
            attempts=options.generation_attempts,
            backoff_seconds=options.retry_backoff_seconds,
        )

    def _continuity_handler(self, clients: WorkerClients) -> ContinuityHandler:
        """The continuity check (issue 48): its own ledger, its CPU work on one thread."""
        work = ContinuityWork(
            clients.uow,
            f"{self.options.consumer_group}.continuity",
            SOURCE_SERVICE,
            read_for,
            read_bible,
            OneCore(),
            chapter_reviewer(self.provider),
        )
        return ContinuityHandler(work, self.metrics)

    async def work(self, stop: asyncio.Event, grace_seconds: float) -> None:
        running = self.running
        presence = WorkerPresence(  # the overview's worker count (decision 4003)
            PostgresWorkerRegistry(running.clients.pool),
            SOURCE_SERVICE,
            running.heartbeats.interval,
            lambda: running.consumer.in_flight,
        )
        helpers = [
            asyncio.create_task(presence.run(stop)),
            asyncio.create_task(running.heartbeats.run(stop)),
            asyncio.create_task(running.follows.run(stop)),
            asyncio.create_task(self._sweep(stop)),
            asyncio.create_task(self._lag(stop)),
            asyncio.create_task(self._sweep_flows(stop)),
            asyncio.create_task(self.cluster.run(stop)),
        ]
        try:
            # Not one group join on a broker of another cluster: the group there is another
            # instance's, whose partitions this worker would take and not handle.
            await self.cluster.wait_verified(stop)
            await running.consumer.run(stop, grace_seconds)
        finally:
            for task in helpers:
                task.cancel()
            await asyncio.gather(*helpers, return_exceptions=True)

    async def _sweep(self, stop: asyncio.Event) -> None:
        """Re-publish the requests of tasks nobody works on (e.g. the broker lost them)."""
        tasks, options = self.running.clients.tasks, self.options
        while not stop.is_set():
            try:
                count = await tasks.redrive_stale(options.redrive_after_seconds, 100)
                if count:
                    logger.info("re-published %d stale request(s)", count)
                    self.metrics.redriven.inc(count)
            except StorageUnavailable as error:
                logger.warning("re-drive sweep failed: %s", error)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), options.redrive_interval_seconds)

    async def _sweep_flows(self, stop: asyncio.Event) -> None:
        """Land pauses a dead worker left PENDING_PAUSE, and expire handles past their time
        (docs/flows.md: the agent worker owns the flows it paused)."""
        flows, options = self.running.flows, self.options
        while not stop.is_set():
            try:
                landed = await flows.settle(options.flow_settle_after_seconds)
                expired = await flows.expire_due()
                if landed or expired:
                    logger.info("flows: %d pause(s) landed, %d expired", landed, expired)
            except (StorageUnavailable, ConcurrencyConflict) as error:
                logger.warning("flow sweep failed: %s", error)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), options.flow_sweep_interval_seconds)

    async def _lag(self, stop: asyncio.Event) -> None:
        consumer = self.running.consumer
        reported: set[str] = set()
        while not stop.is_set():
            with contextlib.suppress(Exception):
                current = {str(p): lag for (_, p), lag in (await consumer.lag()).items()}
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
        await self._stack.aclose()  # what startup opened, in reverse (also after a failed one)
        await self.provider.aclose()
        logger.info("agent worker stopped")

    async def health(self) -> tuple[bool, dict[str, object]]:
        """Unhealthy when the broker or the database fails it; degraded (still healthy: it
        serves, and a restart would not bring the model back) when the model server does not
        answer, with the reason."""
        details: dict[str, object] = {"worker": self.name, "provider": self.provider.name}
        if self.cluster.foreign:
            details["broker_problem"] = self.cluster.problem
            return False, details
        try:
            # answered_within, not wait_for: a frozen database must not hold /health (issue 21).
            await answered_within(PoolProbe(self.running.clients.pool).ping(), 1.5)
        except Exception as error:
            details["database_error"] = str(error)
            return False, details
        model = await self.model_health.status()
        details["model"] = model.detail
        if not model.ok:
            details["degraded"] = [f"model: {model.detail}"]
        return True, details
