"""Agents at the model's pace (issue 18): generations of different sessions run concurrently
even on one partition, one session's messages stay in order, a 429 slows every call to the
provider down, drafts reach the writer's stream. Real PostgreSQL, broker, relay and API; the
model is the fake OpenAI-protocol server, streaming."""

import asyncio
import contextlib
import itertools
import json
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import asyncpg
import httpx
import pytest

from infinite_scribe.agents.worker import AgentWorker
from infinite_scribe.composition.agents import build_agent_worker
from infinite_scribe.composition.relay import build_relay
from infinite_scribe.domain.genesis import CONCEPT_PROPOSED, FEEDBACK_SUBMITTED
from infinite_scribe.kafka.admin import ensure_topic
from infinite_scribe.persistence.outbox.operations import replay
from infinite_scribe.settings.settings import Settings
from tests.conftest import LiveServer
from tests.support.agent_stack import client, events_of, stack_settings, wait_task
from tests.support.fake_llm import FakeLLMServer, Reply
from tests.support.sse_client import open_stream

pytestmark = [pytest.mark.kafka, pytest.mark.slow]

REQUEST = {"command_type": "RequestConceptGeneration", "payload": {"user_input": "a lighthouse"}}


def one_partition(settings: Settings, llm: FakeLLMServer, **overrides: Any) -> Settings:
    """The stack's settings on a topic of ONE partition (every session shares it), the model
    being `llm`."""
    config = stack_settings(
        settings,
        llm_provider="openai",
        llm_base_url=llm.base_url,
        llm_model=FakeLLMServer.MODEL,
        llm_timeout_seconds=60,
        **overrides,
    )
    topic = f"agents-one-{uuid.uuid4().hex[:10]}"
    ensure_topic(config.resolved_kafka_servers() or "", topic, 1)
    return config.model_copy(update={"kafka_topic": topic, "kafka_topic_partitions": 1})


@contextlib.asynccontextmanager
async def stack(config: Settings) -> AsyncIterator[tuple[LiveServer, AgentWorker]]:
    stop = asyncio.Event()
    agent = build_agent_worker(config)
    background = [
        asyncio.create_task(build_relay(config).run(stop)),
        asyncio.create_task(agent.run(stop)),
    ]
    server = LiveServer(config)
    await asyncio.to_thread(server.start)
    try:
        yield server, agent
    finally:
        stop.set()
        await asyncio.to_thread(server.stop)
        await asyncio.wait_for(asyncio.gather(*background, return_exceptions=True), 30)


async def until(check: Callable[[], Awaitable[bool] | bool], within: float, what: str) -> None:
    deadline = asyncio.get_running_loop().time() + within
    while True:
        result = check()
        if await result if not isinstance(result, bool) else result:
            return
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.05)


def count(agent: AgentWorker, metric: str) -> float:
    return agent.registry.get_sample_value(f"{metric}_total") or 0.0


async def session(http: httpx.AsyncClient) -> str:
    reply = await http.post("/api/v1/genesis/sessions")
    assert reply.status_code == 201, reply.text
    return str(reply.json()["session_id"])


async def ask(http: httpx.AsyncClient, sid: str, body: dict[str, Any] = REQUEST) -> str:
    reply = await http.post(f"/api/v1/genesis/sessions/{sid}/commands", json=body)
    assert reply.status_code == 202, reply.text
    return str(reply.json()["task_id"])


async def test_a_hung_model_call_does_not_delay_another_session(
    settings: Settings, clean_db: asyncpg.Pool
) -> None:
    model_time = 1.0
    with FakeLLMServer(default=Reply.streamed(0.5, model_time - 0.5)) as llm:
        llm.script(Reply.slow(30))  # the first call hangs
        config = one_partition(settings, llm)
        async with stack(config) as (server, _), client(server, config, uuid.uuid4()) as http:
            hung = await ask(http, await session(http))
            await until(lambda: len(llm.requests) == 1, 60, "the first model call")

            other = await session(http)
            sent = asyncio.get_running_loop().time()
            done = await wait_task(http, await ask(http, other), 30)
            took = asyncio.get_running_loop().time() - sent
            assert done["status"] == "COMPLETED", done
            # About the model's time (plus the pipeline on a busy machine), not behind the call
            # hung for 30 s on the same partition.
            assert took < model_time + 5, f"{took:.2f} s"
            still = (await http.get(f"/api/v1/tasks/{hung}")).json()
            assert still["status"] == "RUNNING", still


async def test_one_sessions_messages_stay_in_order(
    settings: Settings, clean_db: asyncpg.Pool
) -> None:
    with FakeLLMServer(default=Reply.streamed(0.1, 0.2)) as llm:
        llm.script(Reply.streamed(0.2, 2.0))  # the first request takes a while
        config = one_partition(settings, llm)
        async with (
            stack(config) as (server, agent),
            client(server, config, uuid.uuid4()) as http,
        ):
            sid = await session(http)
            first = await ask(http, sid)
            await until(lambda: len(llm.requests) == 1, 60, "the first model call")
            # A copy of the session's messages (the request among them) arrives behind the
            # request in hand: it must wait for it, then find it answered (a concurrent copy
            # would call the model a second time).
            await replay(clean_db, config.kafka_topic, aggregate_id=sid)
            answered = await wait_task(http, first, 30)
            assert answered["status"] == "COMPLETED", answered
            await until(lambda: count(agent, "agent_requests_skipped") >= 1, 30, "the copy")
            assert len(llm.requests) == 1

            # The writer's feedback comes next; it is answered against the proposal above.
            title = answered["result"]["concepts"][0]["title"]
            feedback = {"command_type": "SubmitFeedback", "payload": {"feedback": "darker"}}
            revised = await wait_task(http, await ask(http, sid, feedback), 30)
            assert revised["status"] == "COMPLETED", revised
            assert len(llm.requests) == 2 and title in llm.requests[1].prompt

        events = [(e["event_type"], e["payload"]) for e in await events_of(clean_db, sid)]
        order = [t for t, _ in events if t in (CONCEPT_PROPOSED, FEEDBACK_SUBMITTED)]
        assert order == [CONCEPT_PROPOSED, FEEDBACK_SUBMITTED, CONCEPT_PROPOSED], order
        proposals = [p for t, p in events if t == CONCEPT_PROPOSED]
        assert [p["task_id"] for p in proposals] == [first, revised["task_id"]]


async def test_a_429_slows_every_call_and_every_request_completes(
    settings: Settings, clean_db: asyncpg.Pool
) -> None:
    with FakeLLMServer(default=Reply.streamed(0.05, 0.1)) as llm:
        llm.script(Reply.error(429, {"retry-after": "1"}))
        config = one_partition(settings, llm, llm_max_retries=3)
        async with stack(config) as (server, agent), client(server, config, uuid.uuid4()) as http:
            first = await ask(http, await session(http))
            await until(lambda: len(llm.requests) == 1, 60, "the first model call")
            limited_at = llm.arrivals[0]
            others = [await ask(http, await session(http)) for _ in range(5)]
            tasks = [await wait_task(http, task, 30) for task in [first, *others]]
            assert [t["status"] for t in tasks] == ["COMPLETED"] * 6, tasks
            # Every call after the 429 waited for its Retry-After, not only the one that got it.
            later = llm.arrivals[1:]
            assert len(later) == 6
            assert min(later) >= limited_at + 0.9, [round(t - limited_at, 2) for t in later]
            assert count(agent, "agent_model_rate_limited") == 1


async def test_drafts_reach_the_stream_and_a_late_client_gets_the_latest(
    settings: Settings, clean_db: asyncpg.Pool
) -> None:
    # Ten chunks 0.67 s apart: a draft within 0.5 s of connecting is the kept latest one,
    # not the next chunk's.
    with FakeLLMServer(default=Reply.streamed(0.3, 6.0)) as llm:
        config = one_partition(settings, llm)
        async with stack(config) as (server, _), client(server, config, uuid.uuid4()) as http:
            sid = await session(http)
            async with open_stream(http, sid) as stream:
                task = await ask(http, sid)
                drafts: list[dict[str, Any]] = []
                while True:
                    sse = await stream.next(within=30)
                    if sse.event == "draft":
                        drafts.append(json.loads(sse.data))
                        if len(drafts) == 2:
                            break
                # A second client connects mid-generation: the latest draft comes at once.
                async with open_stream(http, sid) as late:
                    connected = asyncio.get_running_loop().time()
                    first_late = json.loads((await late.next("draft", within=5)).data)
                    waited = asyncio.get_running_loop().time() - connected
                    assert first_late["task_id"] == task
                    assert waited < 0.5, f"{waited:.2f} s"
                proposed = None
                while proposed is None:
                    sse = await stream.next(within=30)
                    if sse.event == "draft":
                        drafts.append(json.loads(sse.data))
                    elif sse.event == "domain_event":
                        envelope = json.loads(sse.data)
                        if envelope["event_type"] == CONCEPT_PROPOSED:
                            proposed = envelope
        assert len(drafts) >= 3
        assert {d["task_id"] for d in drafts} == {task}
        assert [d["sequence"] for d in drafts] == sorted({d["sequence"] for d in drafts})
        texts = [d["text"] for d in drafts]
        assert all(later.startswith(earlier) for earlier, later in itertools.pairwise(texts))
        assert proposed["payload"]["task_id"] == task

    # Ephemeral: nothing of the drafts is an event or an outbox row.
    assert not await clean_db.fetchval(
        "SELECT count(*) FROM domain_events WHERE event_type ILIKE '%draft%' "
        "OR payload::text LIKE '%\"sequence\"%'"
    )
    assert not await clean_db.fetchval(
        "SELECT count(*) FROM event_outbox WHERE topic LIKE '%drafts%'"
    )


async def test_the_offline_generator_streams_drafts_too(
    settings: Settings, clean_db: asyncpg.Pool
) -> None:
    config = stack_settings(settings, llm_offline_stream_seconds=1.0)  # what `make run` uses
    async with stack(config) as (server, _), client(server, config, uuid.uuid4()) as http:
        sid = await session(http)
        async with open_stream(http, sid) as stream:
            task = await ask(http, sid)
            drafts: list[dict[str, Any]] = []
            while True:
                sse = await stream.next(within=30)
                if sse.event == "draft":
                    drafts.append(json.loads(sse.data))
                elif (
                    sse.event == "domain_event"
                    and json.loads(sse.data)["event_type"] == CONCEPT_PROPOSED
                ):
                    break
    assert len(drafts) >= 3, drafts  # 12 chunks over a second, at most one per 0.2 s
    assert {d["task_id"] for d in drafts} == {task}
    assert drafts[-1]["text"].startswith('{"')  # the proposal's JSON as it grows
