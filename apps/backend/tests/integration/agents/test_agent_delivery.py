"""Delivery guarantees of the agent worker on the real broker: a request delivered twice is
answered once; two workers sharing six partitions answer every request exactly once; a request
cancelled (session abandoned) while its generation runs has its model call cancelled within a
second and gets no proposal."""

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable

import asyncpg
import httpx
import pytest

from infinite_scribe.agents.worker import AgentWorker
from infinite_scribe.composition.agents import build_agent_worker
from infinite_scribe.composition.relay import build_relay
from infinite_scribe.domain.genesis import ABANDONED, CONCEPT_GENERATION_REQUESTED, CONCEPT_PROPOSED
from infinite_scribe.persistence.outbox.operations import replay
from infinite_scribe.settings.settings import Settings
from tests.conftest import LiveServer
from tests.support.agent_stack import client, events_of, stack_settings, wait_flow, wait_task
from tests.support.fake_llm import FakeLLMServer, Reply

pytestmark = [pytest.mark.kafka, pytest.mark.slow]

REQUEST = {
    "command_type": "RequestConceptGeneration",
    "payload": {"theme_preferences": ["科幻"], "style_preferences": ["第一人称"]},
}


@contextlib.asynccontextmanager
async def _stack(
    settings: Settings, workers: int = 1
) -> AsyncIterator[tuple[LiveServer, list[AgentWorker]]]:
    """`stack.agent_stack`, handing out the workers too (their consumers and metrics)."""
    stop = asyncio.Event()
    agents = [build_agent_worker(settings) for _ in range(workers)]
    background = [asyncio.create_task(build_relay(settings).run(stop))]
    background += [asyncio.create_task(agent.run(stop)) for agent in agents]
    server = LiveServer(settings)
    await asyncio.to_thread(server.start)
    try:
        yield server, agents
    finally:
        stop.set()
        await asyncio.to_thread(server.stop)
        await asyncio.wait_for(asyncio.gather(*background, return_exceptions=True), 30)


async def _until(check: Callable[[], Awaitable[bool]], within: float, what: str) -> None:
    deadline = asyncio.get_running_loop().time() + within
    while not await check():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.1)


def _count(agent: AgentWorker, metric: str) -> float:
    return agent.registry.get_sample_value(f"{metric}_total") or 0.0


async def _assigned(agent: AgentWorker) -> int:
    if agent.consumer is None:
        return 0
    return len(await asyncio.to_thread(agent.consumer.consumer.assignment))


async def _session(http: httpx.AsyncClient) -> str:
    reply = await http.post("/api/v1/genesis/sessions")
    assert reply.status_code == 201, reply.text
    return str(reply.json()["session_id"])


async def _ask(http: httpx.AsyncClient, sid: str) -> str:
    reply = await http.post(f"/api/v1/genesis/sessions/{sid}/commands", json=REQUEST)
    assert reply.status_code == 202, reply.text
    return str(reply.json()["task_id"])


async def _request_event(pool: asyncpg.Pool, task_id: str) -> uuid.UUID:
    found = await pool.fetchval(
        "SELECT request_event_id FROM async_tasks WHERE id = $1", uuid.UUID(task_id)
    )
    assert isinstance(found, uuid.UUID)
    return found


async def test_a_request_delivered_twice_is_answered_once(
    settings: Settings, clean_db: asyncpg.Pool
) -> None:
    config = stack_settings(settings)
    async with _stack(config) as (server, [agent]), client(server, config, uuid.uuid4()) as http:
        sid = await _session(http)
        task = await wait_task(http, await _ask(http, sid))
        assert task["status"] == "COMPLETED", task
        request_id = await _request_event(clean_db, task["task_id"])
        await wait_flow(http, str(task["correlation_id"]), "PAUSED")  # its last event
        before = await events_of(clean_db, sid)
        assert [e["event_type"] for e in before].count(CONCEPT_PROPOSED) == 1

        # Deliver the whole session again (`scribe events replay --session`): same event ids.
        skipped, ignored = (
            _count(agent, "agent_requests_skipped"),
            _count(agent, "agent_events_ignored"),
        )
        replayed = await replay(clean_db, config.kafka_topic, aggregate_id=sid)
        # Created, ConceptGenerationRequested, Proposed, FlowPaused (docs/flows.md)
        assert replayed == len(before) == 4

        async def redelivered() -> bool:
            return (
                _count(agent, "agent_requests_skipped") == skipped + 1
                and _count(agent, "agent_events_ignored") >= ignored + 2
            )

        await _until(redelivered, 30, "the worker to receive the replayed events")
        await asyncio.sleep(0.5)  # anything the copy would have written would be written now

        after = await events_of(clean_db, sid)
        assert [e["event_id"] for e in after] == [e["event_id"] for e in before]
        ledger = await clean_db.fetchval(
            "SELECT count(*) FROM processed_messages WHERE event_id = $1", request_id
        )
        assert ledger == 1
        assert _count(agent, "agent_requests_handled") == 1
        again = (await http.get(f"/api/v1/tasks/{task['task_id']}")).json()
        assert again["status"] == "COMPLETED" and again["result"] == task["result"]


SESSIONS = 30


async def test_two_workers_on_six_partitions_answer_every_request_once(
    settings: Settings, clean_db: asyncpg.Pool
) -> None:
    config = stack_settings(settings)  # its topic has six partitions
    async with _stack(config, workers=2) as (server, agents):

        async def shared() -> bool:  # both members hold partitions before anything is sent
            counts = [await _assigned(agent) for agent in agents]
            return all(counts) and sum(counts) == 6

        await _until(shared, 60, "both workers to share the six partitions")
        users = [uuid.uuid4() for _ in range(SESSIONS)]
        https = [client(server, config, user) for user in users]
        async with contextlib.AsyncExitStack() as stack:
            for http in https:
                await stack.enter_async_context(http)
            sids = await asyncio.gather(*(_session(http) for http in https))
            task_ids = await asyncio.gather(
                *(_ask(http, sid) for http, sid in zip(https, sids, strict=True))
            )
            tasks = await asyncio.gather(
                *(wait_task(http, t, 90) for http, t in zip(https, task_ids, strict=True))
            )
        assert [task["status"] for task in tasks] == ["COMPLETED"] * SESSIONS, tasks

        handled = [_count(agent, "agent_requests_handled") for agent in agents]
        assert sum(handled) == SESSIONS, handled
        assert all(handled), f"one worker did all the work: {handled}"

    for sid, task in zip(sids, tasks, strict=True):
        events = await events_of(clean_db, sid)
        proposals = [e for e in events if e["event_type"] == CONCEPT_PROPOSED]
        assert len(proposals) == 1, [e["event_type"] for e in events]
        [request] = [e for e in events if e["event_type"] == CONCEPT_GENERATION_REQUESTED]
        assert proposals[0]["causation_id"] == request["event_id"]
        assert proposals[0]["payload"]["task_id"] == task["task_id"]
    ledger = await clean_db.fetch(
        "SELECT consumer, count(*) AS n FROM processed_messages GROUP BY consumer"
    )
    assert [(row["consumer"], row["n"]) for row in ledger] == [
        (config.worker_consumer_group, SESSIONS)
    ]
    unfinished = await clean_db.fetchval(
        "SELECT count(*) FROM async_tasks WHERE status <> 'COMPLETED'"
    )
    assert unfinished == 0


async def test_abandoning_during_a_slow_generation_cancels_it_and_no_proposal_follows(
    settings: Settings, clean_db: asyncpg.Pool
) -> None:
    slow = 4.0
    with FakeLLMServer(default=Reply.slow(slow)) as llm:
        config = stack_settings(
            settings,
            llm_provider="openai",
            llm_base_url=llm.base_url,
            llm_model=FakeLLMServer.MODEL,
            llm_timeout_seconds=30,
        )
        async with (
            _stack(config) as (server, [agent]),
            client(server, config, uuid.uuid4()) as http,
        ):
            sid = await _session(http)
            task_id = await _ask(http, sid)

            async def generating() -> bool:
                return len(llm.requests) == 1

            await _until(generating, 30, "the worker to call the model")
            running = (await http.get(f"/api/v1/tasks/{task_id}")).json()
            assert running["status"] == "RUNNING", running

            abandon = {"command_type": "AbandonSession", "payload": {"reason": "changed my mind"}}
            reply = await http.post(f"/api/v1/genesis/sessions/{sid}/commands", json=abandon)
            assert reply.status_code == 200, reply.text
            abandoned_at = asyncio.get_running_loop().time()
            cancelled = (await http.get(f"/api/v1/tasks/{task_id}")).json()
            assert cancelled["status"] == "CANCELLED", cancelled

            # The Abandoned event reaches the worker on the session's partition; it stops the
            # model call at once (the fake server sees its stream closed), long before the
            # model would have answered, and publishes nothing.
            async def stopped() -> bool:
                return llm.abandoned == 1

            await _until(stopped, slow, "the model call to be cancelled")
            took = asyncio.get_running_loop().time() - abandoned_at
            assert took <= 1.0, f"the model call was cancelled {took:.2f} s after the abandon"
            await asyncio.sleep(slow)  # past the time the model would have answered
            assert _count(agent, "agent_generations_cancelled") == 1
            assert _count(agent, "agent_requests_handled") == 0
            assert _count(agent, "agent_requests_skipped") == 1
            assert len(llm.requests) == 1

            final = (await http.get(f"/api/v1/tasks/{task_id}")).json()
            assert final["status"] == "CANCELLED" and final["result"] is None, final
            state = (await http.get(f"/api/v1/genesis/sessions/{sid}/state")).json()
            assert state["status"] == "ABANDONED" and state["last_result"] is None, state

        events = [e["event_type"] for e in await events_of(clean_db, sid)]
        assert events[-1] == ABANDONED, events
        assert not any(e.endswith((".Proposed", ".Failed")) for e in events), events
        command = await clean_db.fetchval(
            "SELECT c.status::text FROM command_inbox c JOIN async_tasks t "
            "ON t.triggered_by_command_id = c.id WHERE t.id = $1",
            uuid.UUID(task_id),
        )
        assert command == "FAILED"
