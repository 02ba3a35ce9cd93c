"""The agent worker built from handed parts (issue 35), all of them fakes: no Settings, no broker,
no database, no patched attribute. Start-up opens the handed clients and builds the consumer
through the handed factory around the worker's handler; /health reports what the fakes say;
a poison message goes to the handed dead letters; shut-down closes what start-up opened."""

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pytest

from infinite_scribe.agents.llm.gate import ModelGate
from infinite_scribe.agents.llm.offline.stream import StreamingOffline
from infinite_scribe.agents.parts import AgentParts, WorkerClients, WorkerOptions
from infinite_scribe.agents.worker import AgentWorker, is_transient
from infinite_scribe.composition.agents import agent_use_cases
from infinite_scribe.kafka.cluster import ClusterGuard, ForeignBroker
from infinite_scribe.kafka.consumer import Delivery
from infinite_scribe.runtime.worker import RuntimeOptions

DELIVERY = Delivery("events", 0, 7, b"k", b"{}", {"ce_type": b"Genesis.Session.Created"})


class FakePool:
    def __init__(self, answers: bool = True) -> None:
        self.answers = answers

    async def fetchval(self, sql: str) -> int:
        if not self.answers:
            raise OSError("connection refused")
        return 1


class FakeDeadLetters:
    def __init__(self) -> None:
        self.sent: list[tuple[Delivery, str, str]] = []

    async def send(self, delivery: Delivery, error_class: str, error: str) -> None:
        self.sent.append((delivery, error_class, error))


class FakeConsumer:
    in_flight = 0

    def __init__(self, handler: Any, **hooks: Any) -> None:
        self.handler, self.hooks = handler, hooks

    async def run(self, stop: asyncio.Event, grace: float) -> None:
        await stop.wait()

    async def lag(self) -> dict[tuple[str, int], int]:
        return {}


class FakeParts:
    """The handed parts and what the worker did with them."""

    def __init__(self, pool: FakePool) -> None:
        self.pool, self.dead_letters = pool, FakeDeadLetters()
        self.consumers: list[FakeConsumer] = []
        self.opened = self.closed = 0

    @asynccontextmanager
    async def clients(self) -> AsyncIterator[WorkerClients]:
        self.opened += 1
        try:
            # Only the pool and the dead letters are used before a message is handled.
            yield WorkerClients(self.pool, None, None, None, None, self.dead_letters)  # type: ignore[arg-type]
        finally:
            self.closed += 1

    def consumer(self, handler: Any, **hooks: Any) -> FakeConsumer:
        self.consumers.append(FakeConsumer(handler, **hooks))
        return self.consumers[-1]


class NoMetadata:
    def list_topics(self, timeout: float) -> Any:
        raise AssertionError("no cluster id is expected: the guard asks nothing")


def _options() -> WorkerOptions:
    return WorkerOptions(
        database_url="postgresql://unused/db",
        kafka="127.0.0.1:9",
        topic="events",
        partitions=1,
        replication=1,
        drafts_retention_ms=60_000,
        consumer_group="workers",
        session_timeout_ms=6_000,
        max_in_flight=8,
        event_max_bytes=1_000_000,
        cluster_id=None,
        probe_interval_seconds=1.0,
        probe_timeout_seconds=1.0,
        redrive_after_seconds=30.0,
        redrive_interval_seconds=5.0,
        flow_handle_ttl_seconds=60.0,
        flow_settle_after_seconds=10.0,
        flow_sweep_interval_seconds=5.0,
        draft_interval_seconds=0.1,
        generation_attempts=2,
        retry_backoff_seconds=0.01,
        write_batch_max=16,
    )


def _worker(fakes: FakeParts) -> tuple[AgentWorker, ClusterGuard]:
    cluster = ClusterGuard(NoMetadata(), None, 1.0, 1.0)
    provider = ModelGate(StreamingOffline(0.0), max_concurrency=2, max_retries=0)
    parts = AgentParts(
        options=_options(),
        runtime=RuntimeOptions(),
        provider=provider,
        cluster=cluster,
        clients=fakes.clients,
        consumer=fakes.consumer,
        use_cases=agent_use_cases(_options(), provider),
    )
    return AgentWorker(parts), cluster


async def test_startup_builds_the_consumer_through_the_handed_factory() -> None:
    fakes = FakeParts(FakePool())
    worker, _ = _worker(fakes)
    assert worker.consumer is None
    await worker.startup()
    [consumer] = fakes.consumers
    assert worker.consumer is consumer and fakes.opened == 1
    assert consumer.hooks["is_transient"] is is_transient
    assert consumer.hooks["peek"] == worker.cancellations.peek
    await worker.shutdown()
    assert fakes.closed == 1


@pytest.mark.parametrize("answers", [True, False])
async def test_health_reports_what_the_handed_pool_says(answers: bool) -> None:
    worker, _ = _worker(FakeParts(FakePool(answers)))
    await worker.startup()
    healthy, details = await worker.health()
    assert healthy is answers and details["provider"] == "offline"
    assert ("database_error" in details) is not answers
    await worker.shutdown()


async def test_a_foreign_broker_fails_health_and_refuses_messages() -> None:
    worker, cluster = _worker(FakeParts(FakePool()))
    await worker.startup()
    cluster.problem = "the broker is cluster other, expected ours"
    healthy, details = await worker.health()
    assert not healthy and details["broker_problem"] == cluster.problem
    handler = worker.running.consumer.handler  # type: ignore[attr-defined]
    with pytest.raises(ForeignBroker):
        await handler(DELIVERY)
    await worker.shutdown()


async def test_a_poison_message_goes_to_the_handed_dead_letters() -> None:
    fakes = FakeParts(FakePool())
    worker, _ = _worker(fakes)
    await worker.startup()
    await fakes.consumers[0].hooks["on_poison"](DELIVERY, ValueError("not a proposal"))
    assert fakes.dead_letters.sent == [(DELIVERY, "ValueError", "not a proposal")]
    assert worker.registry.get_sample_value("agent_messages_poison_total") == 1
    await worker.shutdown()


async def test_a_type_no_consumer_takes_is_counted_and_left_unread() -> None:
    worker, _ = _worker(FakeParts(FakePool()))
    await worker.startup()
    handler = worker.running.consumer.handler  # type: ignore[attr-defined]
    broken = Delivery("events", 0, 8, b"k", b"not json", {"ce_type": b"Genesis.Session.Created"})
    await handler(broken)
    await handler(Delivery("events", 0, 9, b"k", b"{}", {}))  # no type at all
    assert worker.metrics.ignored._value.get() == 2
    await worker.shutdown()


def test_every_request_and_checked_event_has_its_consumer() -> None:
    from infinite_scribe.application.continuity import CONTINUITY_EVENTS
    from infinite_scribe.domain.chapters import CHAPTER_REQUEST_EVENTS
    from infinite_scribe.domain.genesis_events import GENERATION_REQUEST_EVENTS

    types = GENERATION_REQUEST_EVENTS | CHAPTER_REQUEST_EVENTS | CONTINUITY_EVENTS
    lengths = len(GENERATION_REQUEST_EVENTS) + len(CHAPTER_REQUEST_EVENTS)
    assert len(types) == lengths + len(CONTINUITY_EVENTS)  # no type has two consumers
