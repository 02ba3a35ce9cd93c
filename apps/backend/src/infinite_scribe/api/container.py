"""The API's services, built once in `lifespan` (the composition: which adapter serves which
port) and read by routes and middleware through `services_of` / the `Services` dependency."""

import asyncio
import functools
import multiprocessing
import os
from collections.abc import AsyncIterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field

import asyncpg

from infinite_scribe.api.export_build import build_and_store
from infinite_scribe.api.metered_commands import MeteredCommandService
from infinite_scribe.api.metrics import ApiMetrics, start_metrics_listener
from infinite_scribe.api.novel_epub import epub_file
from infinite_scribe.api.novel_markdown import markdown_file
from infinite_scribe.api.operator_services import ConsoleServices, console_services
from infinite_scribe.api.stream_admission import StreamAdmission
from infinite_scribe.api.token_cache import VerifiedTokens
from infinite_scribe.application.chapters import NovelChapters
from infinite_scribe.application.command_service import NOVEL_REGISTRY, CommandService
from infinite_scribe.application.cpu import CpuGate
from infinite_scribe.application.event_chains import EventChains
from infinite_scribe.application.exports import BUILDS, NovelExports
from infinite_scribe.application.flow_replies import FlowReplies, ResumeOnReply
from infinite_scribe.application.flows import FlowControl
from infinite_scribe.application.live_stream import LiveStreams, NovelOwner, StreamOptions
from infinite_scribe.application.ports.idempotency import IdempotencyStore
from infinite_scribe.application.ports.storage import HealthProbe
from infinite_scribe.application.ports.tasks import TaskQueries
from infinite_scribe.application.reads import Reads
from infinite_scribe.application.sessions import GenesisSessions
from infinite_scribe.application.story import StoryReads
from infinite_scribe.application.stream_hub import StreamHub
from infinite_scribe.application.trash import TrashService
from infinite_scribe.application.versions import SessionVersions
from infinite_scribe.domain.estimates import Pricing
from infinite_scribe.kafka.admin import BrokerProbe
from infinite_scribe.kafka.drafts import KafkaDraftSource, drafts_topic, ensure_drafts_topic
from infinite_scribe.persistence.database import WRITE_POOL_SIZE
from infinite_scribe.persistence.exports.store import PostgresNovelExports
from infinite_scribe.persistence.genesis.adapters import PoolProbe, PostgresGenesisQueries
from infinite_scribe.persistence.genesis.reads import PostgresReadQueries
from infinite_scribe.persistence.genesis.trash import PostgresTrashQueries
from infinite_scribe.persistence.idempotency.postgres_store import PostgresIdempotencyStore
from infinite_scribe.persistence.idempotency.stores import open_idempotency_store
from infinite_scribe.persistence.storage import StorageOptions, open_storage
from infinite_scribe.persistence.story_memory.store import PostgresStoryQueries
from infinite_scribe.persistence.stream.event_feed import PostgresEventFeed
from infinite_scribe.persistence.stream.follows import PostgresStreamFollows
from infinite_scribe.persistence.stream.tickets import PostgresStreamTickets
from infinite_scribe.persistence.tasks.async_tasks import PostgresTaskQueries
from infinite_scribe.persistence.tasks.flow_handles import PostgresFlowQueries
from infinite_scribe.persistence.writes.unit_of_work import PostgresUnitOfWork
from infinite_scribe.runtime.loop_lag import LoopLagMonitor, lag_histogram, unwatch_loop, watch_loop
from infinite_scribe.runtime.metrics import MetricsServer
from infinite_scribe.runtime.model_health import ModelHealth
from infinite_scribe.settings.settings import Settings

#: Connections of the API's pool (commands, queries, health).
API_POOL_SIZE = 20


@dataclass(frozen=True)
class ApiServices:
    """Everything a request may need, typed; one instance per app, built in lifespan."""

    settings: Settings
    #: The pool itself, for the pool gauge of /metrics only: routes use the services below.
    pool: asyncpg.Pool
    commands: CommandService
    #: The novels' chapter commands (issue 39): the same service on the novel aggregate.
    novel_commands: CommandService
    #: The novels' chapter history (issue 39).
    chapters: NovelChapters
    sessions: GenesisSessions
    #: A session's history and its branches (issue 37).
    versions: SessionVersions
    tasks: TaskQueries
    trash: TrashService
    idempotency_store: IdempotencyStore
    verified_tokens: VerifiedTokens
    database: HealthProbe
    #: The broker for the health check (None: no broker configured).
    kafka: HealthProbe | None
    #: Whether the model server answers (health and the console's overview: degraded).
    model: ModelHealth
    #: The event loop's lag (`event_loop_lag_seconds`; the overview shows the worst of late).
    loop: LoopLagMonitor
    #: Paused flows and event chains (issue 11, docs/flows.md).
    flows: FlowReplies
    event_chains: EventChains
    #: Session list and novels (issue 12, reading).
    reads: Reads
    #: A novel's Markdown and EPUB built as jobs (issue 54).
    exports: NovelExports
    #: A novel's story memory and continuity findings (issue 48).
    story: StoryReads
    #: The API's Prometheus series (issue 12), served by `metrics_listener` (None: its port was
    #: taken) on API_METRICS_HOST:API_METRICS_PORT, not on the API's port (issue 21).
    metrics: ApiMetrics
    metrics_listener: MetricsServer | None
    #: The live event stream (SSE) and its tickets; its hub runs while the API does.
    live: LiveStreams
    #: How many streams may be open, per user and in all, and how fast tickets are minted.
    stream_admission: StreamAdmission
    #: The console's operator actions and overview (issue 22, docs/console.md).
    console: ConsoleServices
    #: Exports, the console's bible page and history diffs, off the loop, bounded (issue 41).
    renders: CpuGate = field(default_factory=CpuGate)
    #: Keyed commands store their answer in their own write (the store is PostgreSQL's table).
    inline_idempotency: bool = False


@asynccontextmanager
async def api_services(
    settings: Settings, database_url: str, verified_tokens: VerifiedTokens, metrics: ApiMetrics
) -> AsyncIterator[ApiServices]:
    """Open the pool and the stores, wire the adapters to the ports, close them on exit (in
    the reverse order of opening, also when one of them fails to open)."""
    async with AsyncExitStack() as opened:
        loop = _watched_loop(opened, metrics)
        pool, uow = await _open_writes(opened, settings, database_url, metrics)
        idempotency_store = await _open_idempotency(opened, settings, database_url)
        queries = PostgresGenesisQueries(pool)
        cpu = CpuGate()  # one budget for every heavy request (bible pages, history diffs)
        chapters = NovelChapters(uow, cpu)
        sessions = GenesisSessions(uow, queries)
        live = await start_live_streams(settings, database_url, pool, sessions, chapters.owns)
        opened.push_async_callback(live.stop)
        listener = await _metrics_listener(opened, settings, metrics, pool)
        # Now, not at the first commit: its wake-up (and the live streams') is not delayed.
        await uow.notifier.open()
        flow_queries = PostgresFlowQueries(pool)
        commands = _command_service(settings, uow, queries, flow_queries, metrics)
        novel_commands = MeteredCommandService(uow, queries, metrics, registry=NOVEL_REGISTRY)
        yield ApiServices(
            settings=settings,
            pool=pool,
            commands=commands,
            novel_commands=novel_commands,
            chapters=chapters,
            sessions=sessions,
            versions=SessionVersions(uow, queries, cpu, pricing_of(settings)),
            tasks=PostgresTaskQueries(pool, settings.kafka_topic),
            trash=TrashService(uow, PostgresTrashQueries(pool)),
            idempotency_store=idempotency_store,
            renders=cpu,
            verified_tokens=verified_tokens,
            database=PoolProbe(pool),
            kafka=_broker_probe(opened, settings),
            model=ModelHealth.of(settings),
            loop=loop,
            reads=Reads(PostgresReadQueries(pool)),
            exports=_exports(opened, pool, database_url),
            story=StoryReads(PostgresStoryQueries(pool)),
            metrics=metrics,
            metrics_listener=listener,
            flows=FlowReplies(commands, flow_queries),
            event_chains=EventChains(flow_queries),
            live=live,
            stream_admission=StreamAdmission.of(settings),
            console=_console(opened, settings, pool, commands, novel_commands),
            inline_idempotency=isinstance(idempotency_store, PostgresIdempotencyStore),
        )


async def start_live_streams(
    settings: Settings,
    database_url: str,
    pool: asyncpg.Pool,
    sessions: GenesisSessions,
    novels: NovelOwner | None = None,
) -> LiveStreams:
    """The process's live streams with their hub running (`LiveStreams.stop` ends it)."""
    feed = PostgresEventFeed(database_url, pool, settings.stream_gap_timeout_seconds)
    hub = StreamHub(
        feed,
        queue_size=settings.stream_queue_size,
        poll_interval=settings.stream_poll_interval,
        drafts=_draft_source(settings),
        follows=PostgresStreamFollows(pool),
    )
    await hub.start()
    return LiveStreams(
        hub,
        feed,
        PostgresStreamTickets(pool),
        sessions,
        StreamOptions(
            ticket_ttl_seconds=settings.stream_ticket_ttl_seconds,
            keepalive_seconds=settings.stream_keepalive_seconds,
        ),
        novels,
    )


def _draft_source(settings: Settings) -> KafkaDraftSource | None:
    """The agents' drafts (docs/agents.md), when a broker is configured; the topic is made
    on the source's thread, so a broker that is away never holds up the API's start."""
    cluster = settings.kafka_connection()
    if cluster is None:
        return None
    topic = drafts_topic(settings.kafka_topic)
    ensure = functools.partial(
        ensure_drafts_topic,
        cluster,
        topic,
        settings.kafka_topic_partitions,
        settings.kafka_topic_replication_factor,
        settings.drafts_retention_ms,
    )
    return KafkaDraftSource(cluster, topic, ensure=ensure)


def _exports(opened: AsyncExitStack, pool: asyncpg.Pool, database_url: str) -> NovelExports:
    """The novel's exports as jobs, their builds stopped with `opened` (before the pool); a
    build reads and stores on its process's own connection (api/export_build.py)."""
    renderers = {"markdown": markdown_file, "epub": epub_file}
    # Spawned, not forked: a fork would copy the API's threads' locks mid-use. Started on the
    # first build, and kept for the next; niced, so that on a busy machine the requests' loop
    # and PostgreSQL get a core before a build does.
    spawn = multiprocessing.get_context("spawn")
    builders = functools.partial(
        ProcessPoolExecutor, BUILDS, mp_context=spawn, initializer=os.nice, initargs=(10,)
    )
    reads = Reads(PostgresReadQueries(pool))
    in_process = functools.partial(build_and_store, database_url)
    exports = NovelExports(
        PostgresNovelExports(pool), reads, renderers, BUILDS, builders, process_build=in_process
    )
    opened.push_async_callback(exports.close)
    return exports


async def _open_idempotency(
    opened: AsyncExitStack, settings: Settings, database_url: str
) -> IdempotencyStore:
    """The idempotency store the settings name, closed with `opened`."""
    store = await open_idempotency_store(settings, database_url)
    opened.push_async_callback(store.close)
    return store


async def _metrics_listener(
    opened: AsyncExitStack, settings: Settings, metrics: ApiMetrics, pool: asyncpg.Pool
) -> MetricsServer | None:
    """The metrics port's listener when one is configured, closed with `opened`."""
    listener = await start_metrics_listener(settings, metrics, PoolProbe(pool).ping)
    if listener is not None:
        opened.push_async_callback(listener.close)
    return listener


def _console(
    opened: AsyncExitStack,
    settings: Settings,
    pool: asyncpg.Pool,
    commands: CommandService,
    novels: CommandService,
) -> ConsoleServices:
    """The console's services, their broker probe released with `opened` (off the loop)."""
    console = console_services(settings, pool, commands, novels)
    opened.push_async_callback(asyncio.to_thread, console.close)
    return console


def _broker_probe(opened: AsyncExitStack, settings: Settings) -> HealthProbe | None:
    """The broker's health probe when a broker is configured, released with `opened`."""
    kafka = settings.kafka_connection()
    if kafka is None:
        return None
    probe = BrokerProbe(kafka, settings.kafka_cluster_id)
    opened.push_async_callback(asyncio.to_thread, probe.close)
    return probe


def _watched_loop(opened: AsyncExitStack, metrics: ApiMetrics) -> LoopLagMonitor:
    """The loop's lag in the API's series, until `opened` closes (issue 49)."""
    lag = lag_histogram(metrics.registry)
    opened.callback(unwatch_loop, lag)
    return watch_loop(lag)


async def _open_writes(
    opened: AsyncExitStack, settings: Settings, database_url: str, metrics: ApiMetrics
) -> tuple[asyncpg.Pool, PostgresUnitOfWork]:
    """The API's pool and the unit of work on it, both closed by `opened`."""
    options = StorageOptions(
        database_url,
        settings.kafka_topic,
        settings.event_max_bytes,
        pool_size=API_POOL_SIZE,
        min_size=2,
        write_pool_size=WRITE_POOL_SIZE,
        write_batch_max=settings.write_batch_max,
        # No per-release RESET round trip: the API's code never changes session state.
        keep_session=True,
    )
    storage = await opened.enter_async_context(open_storage(options))
    metrics.pool = storage.pool
    opened.callback(setattr, metrics, "pool", None)  # before the pool closes
    return storage.pool, storage.uow


def _command_service(
    settings: Settings,
    uow: PostgresUnitOfWork,
    queries: PostgresGenesisQueries,
    flow_queries: PostgresFlowQueries,
    metrics: ApiMetrics,
) -> MeteredCommandService:
    """Commands, with the reaction that resumes a flow waiting for the writer's reply."""
    flow_control = FlowControl(
        uow, flow_queries, ttl_seconds=settings.flow_handle_ttl_seconds, source_service="api"
    )
    return MeteredCommandService(uow, queries, metrics, reactions=[ResumeOnReply(flow_control)])


def pricing_of(settings: Settings) -> Pricing:
    """The configured model and its prices (the offline generator has neither)."""
    model = settings.llm_model if settings.llm_provider == "openai" else None
    return Pricing(
        model, settings.llm_price_input_per_million, settings.llm_price_output_per_million
    )
