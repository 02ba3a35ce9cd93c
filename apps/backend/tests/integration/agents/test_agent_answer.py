"""The agent's begin and answer on real PostgreSQL (issue 40): one statement each, the pause
written PAUSED with its FlowPaused event by the proposal's own statement, and the optimistic
answer's refusals: a task cancelled meanwhile, a session moved meanwhile, a repeated answer, a
flow that waits already."""

import asyncio
import uuid
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import pytest

from infinite_scribe.application.agent_work import AgentWork, Job
from infinite_scribe.application.aggregates import Origin
from infinite_scribe.application.command_service import CommandService
from infinite_scribe.application.context import RequestContext
from infinite_scribe.application.flows import FlowControl
from infinite_scribe.application.genesis_commands import SESSIONS
from infinite_scribe.application.ports.writes import FlowHandleRow, Write
from infinite_scribe.application.sessions import GenesisSessions
from infinite_scribe.domain.flows import FLOW_EXPIRED, FLOW_PAUSED
from infinite_scribe.domain.genesis import CONCEPT_PROPOSED, Decided
from infinite_scribe.persistence.database import create_pool, keep_session
from infinite_scribe.persistence.event_store import envelope_of
from infinite_scribe.persistence.genesis.adapters import PostgresGenesisQueries
from infinite_scribe.persistence.repositories import unit_of_work
from infinite_scribe.persistence.tasks.async_tasks import PostgresTaskQueries
from infinite_scribe.persistence.tasks.flow_handles import PostgresFlowQueries
from infinite_scribe.persistence.writes.composer import WriteComposer
from shared_types import DomainEventRow, EventEnvelope, EventMetadata

TOPIC = "domain-events"


class Agent:
    """A session with a pending concept request, and the agent's use cases on `pool`."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool
        self.uow = unit_of_work(pool, WriteComposer(TOPIC))
        self.flows = FlowControl(
            self.uow, PostgresFlowQueries(pool), ttl_seconds=3600, source_service="agent"
        )
        self.tasks = PostgresTaskQueries(pool, TOPIC)
        self.user = uuid.uuid4()

    def work(self, consumer: str = "test-agent") -> AgentWork:
        return AgentWork(self.uow, self.tasks, consumer, "agent", self.flows)

    async def request(self) -> EventEnvelope:
        genesis = PostgresGenesisQueries(self.pool)
        context = RequestContext(user_id=self.user)
        created, _ = await GenesisSessions(self.uow, genesis).create(context, {"idea": "x"})
        commands = CommandService(self.uow, genesis)
        asked = await commands.execute(context, created.session_id, "RequestConceptGeneration", {})
        row = await self.pool.fetchrow(
            "SELECT * FROM domain_events WHERE causation_id = $1", asked.command_id
        )
        return envelope_of(DomainEventRow.model_validate(dict(row)))

    async def events(self, job: Job) -> list[tuple[str, int]]:
        rows = await self.pool.fetch(
            "SELECT event_type, aggregate_version FROM domain_events WHERE aggregate_id = $1 "
            "ORDER BY aggregate_version",
            str(job.task.session_id),
        )
        return [(row["event_type"], row["aggregate_version"]) for row in rows]

    async def handles(self, job: Job) -> list[asyncpg.Record]:
        return await self.pool.fetch(
            "SELECT id, status::text, resume_handle, expires_at FROM flow_resume_handles "
            "WHERE correlation_id = $1",
            str(job.request.correlation_id),
        )


@pytest.fixture
async def agent(clean_db: asyncpg.Pool) -> AsyncIterator[Agent]:
    found = Agent(clean_db)
    try:
        yield found
    finally:
        await found.uow.close()


async def test_begin_and_answer_are_one_statement_each_and_the_pause_lands_with_it(
    agent: Agent, database_url: str
) -> None:
    warm_up, request = await agent.request(), await agent.request()
    seen: list[str] = []
    counted = await create_pool(database_url, min_size=1, max_size=1, reset=keep_session)
    try:
        mine = Agent(counted)
        work = mine.work()
        # The first use of a statement on a connection also reads types (asyncpg): not counted.
        first = await work.begin(warm_up)
        assert first is not None and await work.propose(first, {"concepts": ["A"]}, "test")
        async with counted.acquire() as connection:
            connection.add_query_logger(lambda record: seen.append(record.query))
        job = await work.begin(request)
        assert job is not None and len(_ours(seen)) == 1, seen
        assert await work.propose(job, {"concepts": ["A"]}, "test")
        assert len(_ours(seen)) == 2, _ours(seen)
        await mine.uow.close()
    finally:
        await counted.close()
    version = job.state.version
    tail = [(CONCEPT_PROPOSED, version + 1), (FLOW_PAUSED, version + 2)]
    assert (await agent.events(job))[-2:] == tail
    [handle] = await agent.handles(job)
    paused = await agent.pool.fetchrow(
        "SELECT event_id, payload FROM domain_events WHERE event_type = $1 AND aggregate_id = $2",
        FLOW_PAUSED,
        str(job.task.session_id),
    )
    assert handle["status"] == "PAUSED"
    assert handle["resume_handle"]["paused_event_id"] == str(paused["event_id"])
    assert paused["payload"]["handle_id"] == str(handle["id"])
    assert paused["payload"]["expires_at"] == handle["expires_at"].isoformat()
    assert not await agent.work().propose(job, {"concepts": ["A"]}, "test")  # a repeat


async def test_begins_that_arrive_together_leave_as_one_batch_each_with_its_own_answer(
    agent: Agent,
) -> None:
    requests = [await agent.request() for _ in range(6)]
    answered = await agent.work().begin(requests[0])
    assert answered is not None and await agent.work().propose(answered, {"concepts": ["A"]}, "t")
    await agent.pool.execute(
        "UPDATE async_tasks SET status = 'CANCELLED' WHERE request_event_id = $1",
        requests[1].event_id,
    )
    group = agent.tasks.group
    batches, members = group.batches, group.batched_writes
    jobs = await asyncio.gather(*(agent.work().begin(request) for request in requests))
    # The first begin goes alone; the five that came while it was in flight leave together.
    assert (group.batches, group.batched_writes) == (batches + 1, members + 5)
    assert jobs[:2] == [None, None]  # answered already; cancelled
    for request, job in zip(requests[2:], jobs[2:], strict=True):
        assert job is not None and job.request is request
        assert str(job.task.session_id) == request.aggregate_id == str(job.state.session_id)
        assert job.task.status == "RUNNING" and job.task.attempts == 1
    statuses = await agent.pool.fetch(
        "SELECT t.status::text AS task, c.status::text AS command FROM async_tasks t "
        "JOIN command_inbox c ON c.id = t.triggered_by_command_id "
        "WHERE t.request_event_id = ANY($1) ORDER BY t.created_at",
        [request.event_id for request in requests],
    )
    assert [(row["task"], row["command"]) for row in statuses] == [
        ("COMPLETED", "COMPLETED"),
        ("CANCELLED", "RECEIVED"),  # not begun: its command untouched
        *[("RUNNING", "PROCESSING")] * 4,
    ]


def _ours(queries: list[str]) -> list[str]:
    """The use cases' statements (not the relay's coalesced wake-up)."""
    return [query for query in queries if "notify" not in query.lower()]


async def test_a_task_cancelled_meanwhile_writes_the_ledger_alone(agent: Agent) -> None:
    work = agent.work()
    job = await work.begin(await agent.request())
    assert job is not None
    await agent.pool.execute(
        "UPDATE async_tasks SET status = 'CANCELLED' WHERE id = $1", job.task.task_id
    )
    before = await agent.events(job)
    assert not await work.propose(job, {"concepts": ["A"]}, "test")
    assert await agent.events(job) == before and await agent.handles(job) == []
    ledger = await agent.pool.fetchval(
        "SELECT count(*) FROM processed_messages WHERE consumer = $1 AND event_id = $2",
        "test-agent",
        job.request.event_id,
    )
    assert ledger == 1
    assert not await work.propose(job, {"concepts": ["A"]}, "test")  # redelivered: False


async def test_a_session_moved_meanwhile_is_read_again_and_answered_once(agent: Agent) -> None:
    work = agent.work()
    job = await work.begin(await agent.request())
    assert job is not None
    # Another flow's handle of the session expires during the generation: a flow event moves
    # the session past the version the begin read.
    meta = EventMetadata(user_id=str(agent.user), source_service="test")
    moved = [Decided(FLOW_EXPIRED, {"handle_id": str(uuid.uuid4()), "stage": None})]
    await SESSIONS.apply(agent.uow.writes, job.state, moved, Origin(None, None, meta))
    assert await work.propose(job, {"concepts": ["A"]}, "test")
    v = job.state.version
    tail = [(FLOW_EXPIRED, v + 1), (CONCEPT_PROPOSED, v + 2), (FLOW_PAUSED, v + 3)]
    assert (await agent.events(job))[-3:] == tail
    assert [h["status"] for h in await agent.handles(job)] == ["PAUSED"]
    snapshot = await agent.pool.fetchrow(
        "SELECT version, last_result FROM genesis_sessions WHERE id = $1", job.task.session_id
    )
    assert snapshot["version"] == v + 3 and snapshot["last_result"] == {"concepts": ["A"]}


async def test_a_repeated_answer_writes_the_same_rows_once(agent: Agent) -> None:
    job = await agent.work().begin(await agent.request())
    assert job is not None
    assert await agent.work().propose(job, {"concepts": ["A"]}, "test")
    rows = (await agent.events(job), await agent.handles(job))
    # The same worker again (its ledger), and another consumer (the stored events).
    assert not await agent.work().propose(job, {"concepts": ["A"]}, "test")
    assert not await agent.work("other-agent").propose(job, {"concepts": ["A"]}, "test")
    assert (await agent.events(job), await agent.handles(job)) == rows


async def test_a_flow_that_waits_already_keeps_its_handle_and_lands_it(agent: Agent) -> None:
    work = agent.work()
    job = await work.begin(await agent.request())
    assert job is not None
    cid = str(job.request.correlation_id)
    earlier: dict[str, Any] = {
        "session_id": str(job.task.session_id),
        "user_id": str(agent.user),
        "stage": "CONCEPT_SELECTION",
    }
    row = FlowHandleRow(cid, earlier, agent.flows.ttl_seconds)
    await agent.uow.writes.write(Write(flow_handle=row))
    assert await work.propose(job, {"concepts": ["A"]}, "test")
    [handle] = await agent.handles(job)
    assert handle["status"] == "PAUSED" and "task_id" not in handle["resume_handle"]
    version = job.state.version
    # The proposal without a pause of its own; the earlier handle's pause landed after it.
    tail = [(CONCEPT_PROPOSED, version + 1), (FLOW_PAUSED, version + 2)]
    assert (await agent.events(job))[-2:] == tail
    paused = await agent.pool.fetchval(
        "SELECT payload->>'handle_id' FROM domain_events WHERE event_type = $1", FLOW_PAUSED
    )
    assert paused == str(handle["id"])


async def test_a_repeated_answer_after_the_writer_replied_is_a_repeat(agent: Agent) -> None:
    """Two workers generated for one request (a rebalance); the writer answered the first one's
    proposal before the second one finished: its handle (the same id) is no longer waiting, so
    only the primary key meets the second insert. Still a repeat (False), not an error."""
    job = await agent.work().begin(await agent.request())
    assert job is not None
    assert await agent.work().propose(job, {"concepts": ["A"]}, "test")
    await agent.pool.execute(
        "UPDATE flow_resume_handles SET status = 'RESUMED' WHERE correlation_id = $1",
        str(job.request.correlation_id),
    )
    rows = (await agent.events(job), await agent.handles(job))
    assert not await agent.work("other-agent").propose(job, {"concepts": ["B"]}, "test")
    assert (await agent.events(job), await agent.handles(job)) == rows
