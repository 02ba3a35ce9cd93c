"""The agent worker's composition (issue 35): its options read from `Settings` once, its
topics, producers, pool and unit of work opened on an `AsyncExitStack` (closed in reverse, also
after a start that failed part way), its consumer's factory, model gate and cluster guard, and
the `AgentWorker` handed all of them."""

import asyncio
import functools
from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from typing import Any

from infinite_scribe.agents.chapter_writer import chapter_writer
from infinite_scribe.agents.continuity.bible import read_bible, read_for
from infinite_scribe.agents.continuity.handler import CheckThreads
from infinite_scribe.agents.continuity.model_review import chapter_reviewer
from infinite_scribe.agents.continuity.redrive import CheckRedrive
from infinite_scribe.agents.llm.factory import build_provider, gate, replay_models
from infinite_scribe.agents.llm.port import LLMProvider
from infinite_scribe.agents.parts import AgentParts, UseCases, WorkerClients, WorkerOptions
from infinite_scribe.agents.worker import SOURCE_SERVICE, AgentWorker
from infinite_scribe.application.agent_work import AgentWork
from infinite_scribe.application.chapter_work import ChapterWork
from infinite_scribe.application.continuity import ContinuityWork
from infinite_scribe.application.flows import FlowControl
from infinite_scribe.composition.common import endpoints, options_from
from infinite_scribe.kafka.admin import admin_client, ensure_topic
from infinite_scribe.kafka.cluster import ClusterGuard
from infinite_scribe.kafka.consumer import Handler, KeyedConsumer, Peek, PoisonHandler
from infinite_scribe.kafka.dead_letters import DeadLetters, dead_letter_topic
from infinite_scribe.kafka.drafts import DraftPublisher, drafts_topic, ensure_drafts_topic
from infinite_scribe.kafka.release import SharedAdmin
from infinite_scribe.persistence.database import close_pool, create_pool, keep_session
from infinite_scribe.persistence.storage import StorageOptions, open_storage
from infinite_scribe.persistence.stream.follows import PostgresStreamFollows
from infinite_scribe.persistence.tasks.async_tasks import PostgresTaskQueries
from infinite_scribe.persistence.tasks.checks import PostgresCheckBacklog, PostgresCheckLedger
from infinite_scribe.persistence.tasks.flow_handles import PostgresFlowQueries
from infinite_scribe.runtime.model_health import ModelHealth
from infinite_scribe.runtime.worker import RuntimeOptions, serve
from infinite_scribe.settings.kafka import FETCH_WAIT_MS, client_config
from infinite_scribe.settings.settings import Settings

#: The agent worker's database connections: many generations share them (each holds one only
#: for a short statement or transaction, never while the model writes).
WORKER_POOL_SIZE = 16
#: Its autocommit writes' own pool (a generation's begin and its answer, each shape batched by
#: group commit: planned once).
WORKER_WRITE_POOL_SIZE = 4


def worker_options(settings: Settings) -> WorkerOptions:
    """What the agent worker reads of the settings (each option: the setting of its name)."""
    url, kafka = endpoints(settings, "agent worker")
    return options_from(
        settings,
        WorkerOptions,
        ("", "worker_", "kafka_", "kafka_topic_", "relay_broker_"),
        database_url=url,
        kafka=kafka,
        replication=settings.kafka_topic_replication_factor,
    )


def worker_runtime(settings: Settings) -> RuntimeOptions:
    return RuntimeOptions(
        grace_seconds=settings.worker_shutdown_grace_seconds,
        metrics_host=settings.worker_metrics_host,
        metrics_port=settings.worker_metrics_port,
    )


def consumer_config(options: WorkerOptions) -> dict[str, Any]:
    timeout = options.session_timeout_ms
    return client_config(
        options.kafka,
        defaults={
            "heartbeat.interval.ms": max(timeout // 6, 100),
            "fetch.wait.max.ms": FETCH_WAIT_MS,
            # A subscribed topic the broker lacks (or one that gains partitions) is seen
            # at the next metadata refresh: librdkafka's default waits five minutes.
            "topic.metadata.refresh.interval.ms": 10_000,
        },
        owned={"group.id": options.consumer_group, "session.timeout.ms": timeout},
    )


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
        # No RESET round trip per release (3 per generation): the worker never changes session
        # state (as the API's pool, issue 13); the uow's `transaction()` and `autocommit()` are
        # all it runs.
        storage = await stack.enter_async_context(
            open_storage(
                StorageOptions(
                    options.database_url,
                    options.topic,
                    options.event_max_bytes,
                    pool_size=WORKER_POOL_SIZE,
                    write_pool_size=WORKER_WRITE_POOL_SIZE,
                    write_batch_max=options.write_batch_max,
                    keep_session=True,
                )
            )
        )
        pool, uow = storage.pool, storage.uow
        # The follows are read on a connection of their own: behind a burst of generations
        # on the pool, the first drafts would wait for them (decision 4002).
        follows_pool = await create_pool(
            options.database_url, min_size=1, max_size=1, reset=keep_session
        )
        stack.push_async_callback(close_pool, follows_pool)
        yield WorkerClients(
            pool,
            uow,
            # Its begins share the answers' group commit (the write pool: planned once).
            PostgresTaskQueries(pool, options.topic, uow.group),
            PostgresFlowQueries(pool),
            drafts,
            dead_letters,
            PostgresStreamFollows(follows_pool),
        )


def agent_use_cases(
    options: WorkerOptions, provider: LLMProvider
) -> Callable[[WorkerClients], UseCases]:
    """The use cases the worker runs, built on its clients once they are open."""

    def build(clients: WorkerClients) -> UseCases:
        uow, group = clients.uow, options.consumer_group
        flows = FlowControl(
            uow,
            clients.flow_queries,
            ttl_seconds=options.flow_handle_ttl_seconds,
            source_service=SOURCE_SERVICE,
        )
        checks = f"{group}.continuity"  # its own ledger
        threads = CheckThreads()  # its CPU work on threads of its own (closed by the worker)
        backlog = PostgresCheckBacklog(clients.pool, options.topic)
        return UseCases(
            work=AgentWork(
                uow, clients.tasks, consumer=group, source_service=SOURCE_SERVICE, flows=flows
            ),
            flows=flows,
            chapters=ChapterWork(uow, group, SOURCE_SERVICE, clients.tasks),
            continuity=ContinuityWork(
                uow,
                checks,
                SOURCE_SERVICE,
                read_for,
                read_bible,
                threads,
                chapter_reviewer(provider),
                PostgresCheckLedger(clients.pool),
            ),
            check_threads=threads,
            check_redrive=CheckRedrive(backlog, checks, options.redrive_after_seconds),
        )

    return build


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
        consumer_config(options),
        [options.topic],
        handler,
        on_poison=on_poison,
        is_transient=is_transient,
        max_in_flight=options.max_in_flight,
        peek=peek,
    )


def agent_parts(settings: Settings, provider: LLMProvider | None = None) -> AgentParts:
    """The worker's parts; nothing is opened yet (its clients are, at the worker's start-up).
    `provider`: a model of the caller's instead of the configured one (tests, benchmarks)."""
    options = worker_options(settings)
    admin = SharedAdmin(admin_client(options.kafka))
    cluster = ClusterGuard(
        admin,
        options.cluster_id,
        options.probe_interval_seconds,
        options.probe_timeout_seconds,
        release=admin.release,
    )

    model = build_provider(settings) if provider is None else gate(provider, settings)
    return AgentParts(
        options=options,
        runtime=worker_runtime(settings),
        provider=model,
        cluster=cluster,
        clients=lambda: worker_clients(options),
        consumer=functools.partial(worker_consumer, options),
        use_cases=agent_use_cases(options, model),
        chapters=chapter_writer(model, settings.llm_offline_stream_seconds),
        models=replay_models(model, settings),
        model_health=ModelHealth.of(settings) if provider is None else ModelHealth(None),
    )


def build_agent_worker(settings: Settings, provider: LLMProvider | None = None) -> AgentWorker:
    return AgentWorker(agent_parts(settings, provider))


async def run_agent_worker(settings: Settings, stop: asyncio.Event) -> None:
    """A `serve.Background`: the agent worker beside the API (used by `scribe up`)."""
    await build_agent_worker(settings).run(stop)


def serve_agent_worker(settings: Settings) -> None:
    """`scribe worker`: one agent worker until SIGTERM/SIGINT, then exit 0."""
    worker = build_agent_worker(settings)
    serve(lambda: worker, worker.runtime_options())
