"""Health knows the model (issue 56): with the model server down, the worker's /health and the
API's /health say `degraded` with the reason (still 200: liveness holds), the console's
overview says so too, and the failed task's error and its dead letter's reason are sentences,
not a Python repr (on 5af61bc: `ClientConnectorError(ConnectionKey(...))`, health `ok`)."""

import asyncio
import contextlib
import socket
import uuid

import asyncpg
import httpx
import pytest

from infinite_scribe.composition.agents import build_agent_worker
from infinite_scribe.composition.relay import build_relay
from infinite_scribe.embedded.kafka import free_port
from infinite_scribe.kafka.dead_letters import read_dead_letters
from infinite_scribe.runtime.model_health import ModelHealth
from infinite_scribe.settings.settings import Settings
from tests.conftest import LiveServer
from tests.support.agent_stack import client, stack_settings, wait_task
from tests.support.fake_llm import FakeLLMServer

pytestmark = [pytest.mark.kafka, pytest.mark.slow]

REFUSED = "cannot be reached (connection refused)"


def closed_port() -> int:
    """A loopback port nobody listens on (bound, then released)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def test_the_probe_says_ok_unreachable_and_caches() -> None:
    down = ModelHealth(f"http://127.0.0.1:{closed_port()}/v1", ttl=60)
    status = await down.status()
    assert not status.ok and REFUSED in status.detail and "Error(" not in status.detail
    assert (await ModelHealth(None).status()).ok
    with FakeLLMServer() as llm:
        cached = ModelHealth(llm.base_url, "key", ttl=60)
        fresh = ModelHealth(llm.base_url, ttl=0.01)
        assert (await cached.status()).ok and (await fresh.status()).ok
    # The server is gone: the cached answer stands until its time is up, a fresh probe knows.
    assert (await cached.status()).ok
    await asyncio.sleep(0.02)  # past `fresh`'s ttl (a clock, not a race)
    assert REFUSED in (await fresh.status()).detail


async def test_model_down_the_api_and_the_worker_are_degraded_and_say_why(
    settings: Settings, clean_db: asyncpg.Pool
) -> None:
    port = closed_port()
    config = stack_settings(
        settings,
        llm_provider="openai",
        llm_base_url=f"http://127.0.0.1:{port}/v1",
        llm_model="absent",
        llm_max_retries=0,
        worker_generation_attempts=1,
        worker_metrics_port=free_port(),
    )
    stop = asyncio.Event()
    background = [
        asyncio.create_task(build_agent_worker(config).run(stop)),
        asyncio.create_task(build_relay(config).run(stop)),
    ]
    server = LiveServer(config)
    await asyncio.to_thread(server.start)
    try:
        body = await _worker_health(config.worker_metrics_port)
        assert body["status"] == "degraded" and REFUSED in str(body["model"]), body
        async with httpx.AsyncClient(base_url=server.url) as anonymous:
            api = await anonymous.get("/api/v1/health")
        assert api.status_code == 200 and api.json()["status"] == "degraded", api.text
        assert f"127.0.0.1:{port} {REFUSED}" in api.json()["model"]

        async with client(server, config, uuid.uuid4()) as http:
            sid = (await http.post("/api/v1/genesis/sessions")).json()["session_id"]
            command = {"command_type": "RequestConceptGeneration", "payload": {}}
            asked = await http.post(f"/api/v1/genesis/sessions/{sid}/commands", json=command)
            task = await wait_task(http, asked.json()["task_id"], 60)
        assert task["status"] == "FAILED" and task["error"]["code"] == "LLM_UNAVAILABLE"
        message = task["error"]["message"]
        assert REFUSED in message and "ClientConnectorError" not in message, message
        servers = config.resolved_kafka_servers() or ""
        letters = await asyncio.to_thread(
            lambda: list(read_dead_letters(servers, config.kafka_topic))
        )
        assert [letter.headers["dlq_error"] for letter in letters] == [message]
    finally:
        stop.set()
        await asyncio.to_thread(server.stop)
        await asyncio.wait_for(asyncio.gather(*background, return_exceptions=True), 30)


async def _worker_health(port: int) -> dict[str, object]:
    """The worker's /health once it answers (its metrics server starts with the worker)."""
    async with httpx.AsyncClient(timeout=5) as http:
        for _ in range(300):
            with contextlib.suppress(httpx.TransportError):
                answer = await http.get(f"http://127.0.0.1:{port}/health")
                if answer.status_code == 200:
                    body: dict[str, object] = answer.json()
                    return body
            await asyncio.sleep(0.1)
    raise AssertionError("the worker's /health never answered 200")
