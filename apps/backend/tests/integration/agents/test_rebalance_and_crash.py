"""Requests in flight survive the consumer group changing: a second worker joining and the
first leaving (a rebalance), and kill -9 of `scribe worker` with 50 requests in flight whose
completions came out of order. Every request is answered exactly once (one `...Proposed`)."""

import asyncio
import uuid
from pathlib import Path

import asyncpg
import pytest

from infinite_scribe.agents.worker import AgentWorker
from infinite_scribe.composition.agents import build_agent_worker
from infinite_scribe.composition.relay import build_relay
from infinite_scribe.domain.genesis import CONCEPT_PROPOSED
from infinite_scribe.settings.settings import Settings
from tests.conftest import LiveServer
from tests.integration.agents.test_concurrency import ask, count, session, until
from tests.integration.agents.test_worker_process import WorkerProcess, _api_and_relay, _workers
from tests.support.agent_stack import client, stack_settings, wait_task
from tests.support.fake_llm import FakeLLMServer, Reply

pytestmark = [pytest.mark.kafka, pytest.mark.slow]


async def _assigned(agent: AgentWorker) -> int:
    if agent.consumer is None:
        return 0
    return len(await asyncio.to_thread(agent.consumer.consumer.assignment))


async def _answered_once(pool: asyncpg.Pool, sids: list[str], group: str) -> None:
    rows = await pool.fetch(
        "SELECT aggregate_id, count(*) AS n FROM domain_events WHERE event_type = $1 "
        "AND aggregate_id = ANY($2::text[]) GROUP BY aggregate_id",
        CONCEPT_PROPOSED,
        sids,
    )
    assert sorted((r["aggregate_id"], r["n"]) for r in rows) == sorted((s, 1) for s in sids)
    ledger = await pool.fetchval(
        "SELECT count(*) FROM processed_messages WHERE consumer = $1", group
    )
    assert ledger == len(sids)


async def test_a_rebalance_with_requests_in_flight_answers_every_request_once(
    settings: Settings, clean_db: asyncpg.Pool
) -> None:
    with FakeLLMServer(default=Reply.streamed(0.2, 0.5)) as llm:
        # The first 30 calls outlast the group's changes (a join can take seconds here).
        llm.script(*[Reply.streamed(1.0, 40.0)] * 30)
        config = stack_settings(
            settings,
            llm_provider="openai",
            llm_base_url=llm.base_url,
            llm_model=FakeLLMServer.MODEL,
            worker_shutdown_grace_seconds=0.5,  # the leaver abandons what it has in hand
        )
        stop_first, stop_rest = asyncio.Event(), asyncio.Event()
        first, second = build_agent_worker(config), build_agent_worker(config)
        background = [
            asyncio.create_task(build_relay(config).run(stop_rest)),
            asyncio.create_task(first.run(stop_first)),
        ]
        server = LiveServer(config)
        await asyncio.to_thread(server.start)
        try:
            await until(lambda: _assigned(first), 60, "the first worker's partitions")
            async with client(server, config, uuid.uuid4()) as http:
                sids = [await session(http) for _ in range(30)]
                tasks = await asyncio.gather(*(ask(http, sid) for sid in sids))
                await until(lambda: llm.in_flight >= 30, 60, "generations under way")

                background.append(asyncio.create_task(second.run(stop_rest)))
                await until(lambda: _assigned(second), 60, "the second worker to join")
                assert llm.in_flight > 0  # the rebalance came with requests in flight
                stop_first.set()  # ... and the first leaves with some in hand
                await until(lambda: _holds_all(second), 60, "the second worker to hold all")
                done = [await wait_task(http, task, 90) for task in tasks]
            assert [task["status"] for task in done] == ["COMPLETED"] * 30, done
            handled = count(first, "agent_requests_handled") + count(
                second, "agent_requests_handled"
            )
            assert handled == 30
        finally:
            stop_first.set()
            stop_rest.set()
            await asyncio.to_thread(server.stop)
            await asyncio.wait_for(asyncio.gather(*background, return_exceptions=True), 30)
    await _answered_once(clean_db, sids, config.worker_consumer_group)


async def _holds_all(agent: AgentWorker) -> bool:
    return await _assigned(agent) == 6


async def test_kill_9_with_50_requests_in_flight_then_a_new_worker_answers_each_once(
    settings: Settings, clean_db: asyncpg.Pool, tmp_path: Path
) -> None:
    requests = 50
    # Out of order: every third call answers at once, the others take seconds.
    script = [
        Reply.streamed(0.05, 0.1) if n % 3 == 0 else Reply.streamed(4.0, 2.0)
        for n in range(requests)
    ]
    with FakeLLMServer(default=Reply.streamed(0.1, 0.3)) as llm, _workers() as workers:
        llm.script(*script)
        config = stack_settings(settings)
        async with (
            _api_and_relay(config) as server,
            client(server, config, uuid.uuid4()) as http,
        ):
            workers.append(WorkerProcess(config, llm, tmp_path / "first.log").start())
            await workers[0].healthy()
            sids = [await session(http) for _ in range(requests)]
            tasks = await asyncio.gather(*(ask(http, sid) for sid in sids))
            await until(lambda: len(llm.requests) >= requests, 90, "every model call")
            await until(lambda: _completed(clean_db, 10), 30, "the quick ones to complete")
            assert llm.in_flight >= 20  # the slow ones are still being written
            workers[0].stop()  # SIGKILL

            workers.append(WorkerProcess(config, llm, tmp_path / "second.log").start())
            await workers[1].healthy()
            done = [await wait_task(http, task, 120) for task in tasks]
            assert [t["status"] for t in done] == ["COMPLETED"] * requests, workers[1].output()
    await _answered_once(clean_db, sids, config.worker_consumer_group)


async def _completed(pool: asyncpg.Pool, at_least: int) -> bool:
    found = await pool.fetchval("SELECT count(*) FROM async_tasks WHERE status = 'COMPLETED'")
    return bool(found >= at_least)
