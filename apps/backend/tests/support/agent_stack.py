"""A whole agent stack for tests: the live API, a relay and agent workers on a topic of their
own (so no other test's events reach them), in the test's event loop."""

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import asyncpg
import httpx

from infinite_scribe.agents.llm.port import LLMProvider
from infinite_scribe.composition.agents import build_agent_worker
from infinite_scribe.composition.relay import build_relay
from infinite_scribe.kafka.admin import ensure_topic
from infinite_scribe.settings.settings import Settings
from tests.conftest import LiveServer, make_token
from tests.support.fake_llm import FakeLLMServer


def stack_settings(settings: Settings, **overrides: Any) -> Settings:
    topic = f"agents-{uuid.uuid4().hex[:10]}"
    ensure_topic(settings.resolved_kafka_servers() or "", topic, 6)
    values: dict[str, Any] = {
        "kafka_topic": topic,
        "worker_consumer_group": f"workers-{uuid.uuid4().hex[:8]}",
        "worker_metrics_port": 0,
        "worker_retry_backoff_seconds": 0.05,
        "relay_metrics_port": 0,
        "relay_poll_interval": 0.5,
    }
    return settings.model_copy(update=values | overrides)


@dataclass(frozen=True)
class ModelStack:
    """The agent stack on a fake OpenAI-compatible server, and a writer's client."""

    llm: FakeLLMServer
    server: LiveServer
    settings: Settings
    http: httpx.AsyncClient
    user_id: uuid.UUID


@contextlib.asynccontextmanager
async def model_stack(settings: Settings, **overrides: Any) -> AsyncIterator[ModelStack]:
    """`agent_stack` whose worker talks to a fake model server (`LLM_PROVIDER=openai`)."""
    with FakeLLMServer() as llm:
        config = stack_settings(
            settings,
            llm_provider="openai",
            llm_base_url=llm.base_url,
            llm_model=llm.MODEL,
            **overrides,
        )
        user_id = uuid.uuid4()
        async with agent_stack(config) as server, client(server, config, user_id) as http:
            yield ModelStack(llm, server, config, http, user_id)


@contextlib.asynccontextmanager
async def agent_stack(
    settings: Settings, workers: int = 1, provider: LLMProvider | None = None
) -> AsyncIterator[LiveServer]:
    stop = asyncio.Event()
    background = [asyncio.create_task(build_relay(settings).run(stop))]
    for _ in range(workers):
        worker = build_agent_worker(settings, provider)
        background.append(asyncio.create_task(worker.run(stop)))
    server = LiveServer(settings)
    await asyncio.to_thread(server.start)
    try:
        yield server
    finally:
        stop.set()
        await asyncio.to_thread(server.stop)
        await asyncio.wait_for(asyncio.gather(*background, return_exceptions=True), 30)


def client(server: LiveServer, settings: Settings, user_id: uuid.UUID) -> httpx.AsyncClient:
    headers = {"Authorization": f"Bearer {make_token(settings, user_id)}"}
    return httpx.AsyncClient(base_url=server.url, headers=headers, timeout=30)


async def wait_task(http: httpx.AsyncClient, task_id: str, within: float = 60) -> dict[str, Any]:
    """Poll GET /tasks/{id} until the task is terminal."""
    deadline = asyncio.get_running_loop().time() + within
    while True:
        body: dict[str, Any] = (await http.get(f"/api/v1/tasks/{task_id}")).json()
        if body.get("status") in ("COMPLETED", "FAILED", "CANCELLED"):
            return body
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"task {task_id} not finished: {body}")
        await asyncio.sleep(0.1)


async def events_of(pool: asyncpg.Pool, session_id: str) -> list[asyncpg.Record]:
    return await pool.fetch(
        "SELECT * FROM domain_events WHERE aggregate_id = $1 ORDER BY aggregate_version",
        session_id,
    )


async def wait_flow(
    http: httpx.AsyncClient, correlation_id: str, status: str, within: float = 60
) -> dict[str, Any]:
    """Poll GET /flows/{id} until the flow's resume handle is in `status` (docs/flows.md)."""
    deadline = asyncio.get_running_loop().time() + within
    while True:
        response = await http.get(f"/api/v1/flows/{correlation_id}")
        if response.status_code == 200 and response.json()["status"] == status:
            body: dict[str, Any] = response.json()
            return body
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"flow {correlation_id} not {status}: {response.text}")
        await asyncio.sleep(0.1)
