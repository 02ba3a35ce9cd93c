"""What an agent worker is handed by the composition root (composition/agents.py): its
options, how the worker runtime runs it, its model gate, its cluster guard, an opener of its
clients and a factory of its consumer. Nothing here reads `Settings`: a test builds an
`AgentWorker` from fakes of these parts."""

import asyncio
from collections.abc import Callable, Mapping
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from typing import Protocol

import asyncpg

from infinite_scribe.agents.chapter_writer import ChapterWriter
from infinite_scribe.agents.continuity.handler import CheckThreads
from infinite_scribe.agents.continuity.redrive import CheckRedrive
from infinite_scribe.agents.llm.gate import ModelGate
from infinite_scribe.agents.llm.port import LLMProvider
from infinite_scribe.application.agent_work import AgentWork
from infinite_scribe.application.chapter_work import ChapterWork
from infinite_scribe.application.continuity import ContinuityWork
from infinite_scribe.application.flows import FlowControl
from infinite_scribe.application.ports.storage import UnitOfWork
from infinite_scribe.kafka.cluster import ClusterGuard
from infinite_scribe.kafka.consumer import Handler, Peek, PoisonHandler
from infinite_scribe.kafka.dead_letters import DeadLetters
from infinite_scribe.kafka.drafts import DraftPublisher
from infinite_scribe.persistence.stream.follows import PostgresStreamFollows
from infinite_scribe.persistence.tasks.async_tasks import PostgresTaskQueries
from infinite_scribe.persistence.tasks.flow_handles import PostgresFlowQueries
from infinite_scribe.runtime.model_health import ModelHealth
from infinite_scribe.runtime.worker import RuntimeOptions
from infinite_scribe.settings.kafka import KafkaConnection


@dataclass(frozen=True)
class WorkerOptions:
    """The agent worker's settings (WORKER_*, FLOW_*, its topic and endpoints)."""

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
    #: Group commit's batch of the worker's autocommit writes (persistence/writes/group_commit.py).
    write_batch_max: int


@dataclass(frozen=True)
class WorkerClients:
    """What the worker's opener yields: its pool and what is built on it, its producers."""

    pool: asyncpg.Pool
    uow: UnitOfWork
    tasks: PostgresTaskQueries
    flow_queries: PostgresFlowQueries
    drafts: DraftPublisher
    dead_letters: DeadLetters
    #: Which streams are followed (None: every session counts as followed, decision 4002).
    follows: PostgresStreamFollows | None = None


@dataclass(frozen=True)
class UseCases:
    """The application's use cases the worker's handlers and jobs run, built on its clients
    by the composition root (composition/agents.py `agent_use_cases`)."""

    work: AgentWork
    flows: FlowControl
    chapters: ChapterWork
    continuity: ContinuityWork
    #: The checks' threads (closed with the worker) and their re-drive (issue 71).
    check_threads: CheckThreads
    check_redrive: CheckRedrive


class EventConsumer(Protocol):
    """The consumer of the events topic as the worker drives it (kafka.consumer.KeyedConsumer)."""

    in_flight: int

    async def run(self, stop: asyncio.Event, grace: float) -> None: ...

    async def lag(self) -> dict[tuple[str, int], int]: ...


class ConsumerFactory(Protocol):
    """Builds the consumer around the worker's handler, at start-up (it closes itself when its
    run ends)."""

    def __call__(
        self,
        handler: Handler,
        *,
        on_poison: PoisonHandler,
        is_transient: Callable[[BaseException], bool],
        peek: Peek,
    ) -> EventConsumer: ...


@dataclass(frozen=True)
class AgentParts:
    """Everything an `AgentWorker` is built from."""

    options: WorkerOptions
    runtime: RuntimeOptions
    #: The LLM provider behind the process's model gate (LLM_MAX_CONCURRENCY, retries).
    provider: ModelGate
    #: Refuses messages of a broker of another cluster (issue 21).
    cluster: ClusterGuard
    #: Opens the pool, unit of work and producers; entered in the worker's loop at start-up.
    clients: Callable[[], AbstractAsyncContextManager[WorkerClients]]
    consumer: ConsumerFactory
    #: The use cases on the clients, built once they are open.
    use_cases: Callable[[WorkerClients], UseCases]
    #: Who writes chapters (None: the provider's model, else the offline writer at once).
    chapters: ChapterWriter | None = None
    #: The providers a regeneration may name (issue 55; empty: the provider alone, by its
    #: model's name, "offline" for the offline generator).
    models: Mapping[str, LLMProvider] = field(default_factory=dict)
    #: Whether the model server answers, for /health (default: no server, the offline one).
    model_health: ModelHealth = field(default_factory=lambda: ModelHealth(None))
