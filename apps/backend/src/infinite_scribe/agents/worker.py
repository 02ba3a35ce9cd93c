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

from infinite_scribe.agents.answering import Streaming
from infinite_scribe.agents.attempts import Retrying
from infinite_scribe.agents.cancellation import Cancellations
from infinite_scribe.agents.chapter_writer import chapter_writer
from infinite_scribe.agents.chapters import ChapterHandler
from infinite_scribe.agents.continuity.handler import ContinuityHandler, NovelChecks
from infinite_scribe.agents.continuity.redrive import CheckRedrive
from infinite_scribe.agents.follows import Follows
from infinite_scribe.agents.generation import GenerationHandler
from infinite_scribe.agents.heartbeats import Heartbeats
from infinite_scribe.agents.metrics import AgentMetrics
from infinite_scribe.agents.parts import AgentParts, EventConsumer, UseCases, WorkerClients
from infinite_scribe.agents.worker_registry import WorkerPresence
from infinite_scribe.application.continuity import CONTINUITY_EVENTS
from infinite_scribe.application.flows import FlowControl
from infinite_scribe.domain.chapters import CHAPTER_REQUEST_EVENTS
from infinite_scribe.domain.errors import ConcurrencyConflict, StorageUnavailable
from infinite_scribe.domain.genesis_events import GENERATION_REQUEST_EVENTS
from infinite_scribe.kafka.consumer import Delivery, Handler
from infinite_scribe.persistence.genesis.adapters import PoolProbe
from infinite_scribe.persistence.operator.workers import PostgresWorkerRegistry
from infinite_scribe.runtime.deadlines import answered_within
from infinite_scribe.runtime.periodic import Periodic, run_periodic
from infinite_scribe.runtime.routing import Routes, by_type
from infinite_scribe.runtime.worker import RuntimeOptions, run_worker
from infinite_scribe.text import segment

logger = logging.getLogger(__name__)

SOURCE_SERVICE = "agent-worker"
#: How often the consumer's lag is reported (seconds).
LAG_SECONDS = 5.0


@dataclass(frozen=True)
class _Running:
    """What the worker built at start-up on the clients it was handed."""

    clients: WorkerClients
    flows: FlowControl
    heartbeats: Heartbeats
    follows: Follows
    consumer: EventConsumer
    check_redrive: CheckRedrive


def is_transient(error: BaseException) -> bool:
    """Failures of our own infrastructure: retried until they pass, never dead-lettered."""
    return isinstance(error, StorageUnavailable | ConcurrencyConflict | OSError)


class AgentWorker:
    """A `runtime.Worker`: its consumers declared by event type (`_handlers`), its periodic
    jobs declared by interval (`_jobs`: the re-drive and flow sweeps, the beats, the lag
    gauge, the cluster guard). It is handed its parts (agents/parts.py), its use cases among
    them, by the composition root (composition/agents.py)."""

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
        self._use_cases = parts.use_cases
        self._stack = AsyncExitStack()
        self._running: _Running | None = None
        self._lag_reported: set[str] = set()
        self._checks: NovelChecks | None = None
        self._presence: WorkerPresence | None = None

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
    def checks(self) -> NovelChecks:
        """Each novel's continuity checks (built at start-up)."""
        if self._checks is None:
            raise RuntimeError("the agent worker has not started")
        return self._checks

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
        cases = self._use_cases(clients)
        self._stack.callback(cases.check_threads.close)
        self._checks = NovelChecks(cases.continuity, self.metrics, is_transient)
        self._stack.push_async_callback(self._checks.close)
        beat = max(options.redrive_after_seconds / 3, 0.1)
        heartbeats = Heartbeats(cases.work.heartbeat, beat, cases.work.tell)
        follows = Follows(None if clients.follows is None else clients.follows.followed)
        streaming = Streaming(
            clients.drafts, options.draft_interval_seconds, self.cancellations, heartbeats, follows
        )
        routes = Routes(
            self._handlers(cases, clients, streaming),
            lambda delivery: delivery.header("ce_type"),
            self.metrics.ignored.inc,  # a type no handler takes: counted here, acknowledged
        )

        async def guarded(delivery: Delivery) -> None:
            self.cluster.check()  # raises while the broker is another cluster's (issue 21)
            await routes(delivery)

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
        self._running = _Running(
            clients, cases.flows, heartbeats, follows, consumer, cases.check_redrive
        )
        logger.info("agent worker started (provider %s)", self.provider.name)

    def _handlers(
        self, cases: UseCases, clients: WorkerClients, streaming: Streaming
    ) -> dict[str, Handler]:
        """The worker's consumers, by the event type each takes: the Genesis stages' requests,
        the chapters' (issue 39), and the continuity check's events (issue 48)."""
        options = self.options
        retrying = Retrying(
            clients.dead_letters,
            self.metrics,
            attempts=options.generation_attempts,
            backoff_seconds=options.retry_backoff_seconds,
        )
        generation = GenerationHandler(
            cases.work, self.provider, streaming, retrying, models=self.models
        )
        chapter_drafts = ChapterHandler(cases.chapters, self.chapter_writer, streaming, retrying)
        checks = self.checks

        async def chapters(delivery: Delivery) -> None:
            # The brief reads the memory of the chapters confirmed before the request.
            await checks.settled((delivery.key or b"").decode(errors="replace"))
            await chapter_drafts(delivery)

        return by_type(
            (GENERATION_REQUEST_EVENTS, generation),
            (CHAPTER_REQUEST_EVENTS, chapters),
            (CONTINUITY_EVENTS, ContinuityHandler(checks)),
        )

    def _jobs(self, presence: WorkerPresence) -> list[Periodic]:
        """The worker's periodic jobs, each on its interval (runtime/periodic.py)."""
        running, options = self.running, self.options
        return [
            Periodic("worker registry beat", presence.interval, presence.beat),
            Periodic("heartbeat", running.heartbeats.interval, running.heartbeats.beat, False),
            Periodic("re-drive sweep", options.redrive_interval_seconds, self._redrive),
            Periodic("checks' re-drive", options.redrive_interval_seconds, self._redrive_checks),
            Periodic("flow sweep", options.flow_sweep_interval_seconds, self._settle_flows),
            Periodic("lag", LAG_SECONDS, self._report_lag),
            Periodic("cluster guard", self.cluster.interval, self.cluster.probe),
        ]

    async def work(self, stop: asyncio.Event, grace_seconds: float) -> None:
        running = self.running
        presence = WorkerPresence(  # the overview's worker count (decision 4003)
            PostgresWorkerRegistry(running.clients.pool),
            SOURCE_SERVICE,
            running.heartbeats.interval,
            lambda: running.consumer.in_flight,
        )
        await presence.arrive()
        self._presence = presence
        helpers = [
            asyncio.create_task(run_periodic(self._jobs(presence), stop)),
            asyncio.create_task(running.follows.run(stop)),
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

    async def _redrive(self) -> None:
        """Re-publish the requests of tasks nobody works on (e.g. the broker lost them)."""
        count = await self.running.clients.tasks.redrive_stale(
            self.options.redrive_after_seconds, 100
        )
        if count:
            logger.info("re-published %d stale request(s)", count)
            self.metrics.redriven.inc(count)

    async def _redrive_checks(self) -> None:
        """Re-publish the continuity events no check recorded (issue 71: a stop, a broker
        restarted empty)."""
        count = await self.running.check_redrive.sweep()
        if count:
            logger.info("re-published %d unchecked chapter event(s)", count)
            self.metrics.redriven.inc(count)

    async def _settle_flows(self) -> None:
        """Land pauses a dead worker left PENDING_PAUSE, and expire handles past their time
        (docs/flows.md: the agent worker owns the flows it paused)."""
        flows = self.running.flows
        landed = await flows.settle(self.options.flow_settle_after_seconds)
        expired = await flows.expire_due()
        if landed or expired:
            logger.info("flows: %d pause(s) landed, %d expired", landed, expired)

    async def _report_lag(self) -> None:
        with contextlib.suppress(Exception):  # a broker away: the lag is reported again later
            current = {str(p): lag for (_, p), lag in (await self.running.consumer.lag()).items()}
            for partition, lag in current.items():
                self.metrics.lag.labels(partition).set(lag)
            # A partition given to another worker is its to report: a stale value here would
            # keep a lag alert firing after a rebalance.
            for partition in self._lag_reported - current.keys():
                self.metrics.lag.remove(partition)
            self._lag_reported = set(current)

    async def shutdown(self) -> None:
        # The registry's row goes here, before the pool closes: a Ctrl-C (KeyboardInterrupt)
        # can cancel `work` after shutdown began, and its leave then met a closed pool.
        if self._presence is not None:
            await self._presence.leave()
            self._presence = None
        await self._stack.aclose()  # what startup opened, in reverse (also after a failed one)
        await self.provider.aclose()
        await asyncio.to_thread(self.cluster.close)  # waits for a probe's thread
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
