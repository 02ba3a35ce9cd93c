"""Issue 21, defect 5: the real API, relay and worker processes talk to PostgreSQL through a
proxy the test freezes (a SIGSTOPped server, as its clients see it). Health answers 503 within
2 s, and a request waiting for the frozen database gets a bounded wait and a 503."""

import asyncio
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator

import asyncpg
import httpx
import pytest

from infinite_scribe.embedded.kafka import free_port
from infinite_scribe.settings.settings import Settings
from tests.conftest import make_token
from tests.support.frozen_proxy import FrozenProxy
from tests.support.hostile_server import ApiProcess, api_process

pytestmark = pytest.mark.slow

REQUEST_TIMEOUT = 3.0
HEALTH_WITHIN = 2.0


@pytest.fixture
def proxy(database_url: str) -> Iterator[FrozenProxy]:
    running = FrozenProxy(database_url)
    try:
        yield running
    finally:
        running.close()


@pytest.fixture
def server(settings: Settings, proxy: FrozenProxy) -> Iterator[ApiProcess]:
    env = {"DATABASE_URL": proxy.url, "API_REQUEST_TIMEOUT_SECONDS": str(REQUEST_TIMEOUT)}
    with api_process(settings, **env) as running:
        yield running


def _timed_get(url: str, **options: object) -> tuple[httpx.Response, float]:
    started = time.monotonic()
    response = httpx.get(url, timeout=30, **options)  # type: ignore[arg-type]
    return response, time.monotonic() - started


async def test_api_health_and_requests_answer_503_while_the_database_is_frozen(
    server: ApiProcess, settings: Settings, proxy: FrozenProxy
) -> None:
    headers = {"Authorization": f"Bearer {make_token(settings, uuid.uuid4())}"}
    async with httpx.AsyncClient(base_url=server.url, headers=headers, timeout=30) as http:
        session_id = (await http.post("/api/v1/genesis/sessions")).json()["session_id"]
        proxy.freeze()
        try:
            for _ in range(2):  # the second while the first check is still stuck
                health, took = await asyncio.to_thread(_timed_get, f"{server.url}/api/v1/health")
                assert health.status_code == 503 and took < HEALTH_WITHIN, (health.text, took)
                assert health.json()["database"].startswith("unavailable")
            # More requests than the pool has connections: each waits a bounded time.
            started = time.monotonic()
            answers = await asyncio.gather(
                *(http.get(f"/api/v1/genesis/sessions/{session_id}/state") for _ in range(30))
            )
            took = time.monotonic() - started
            assert {answer.status_code for answer in answers} == {503}, answers[0].text
            assert took < REQUEST_TIMEOUT + 2, took
            assert answers[0].json()["error_code"] == "DEADLINE_EXCEEDED"
            assert answers[0].headers["retry-after"] == "5"
        finally:
            proxy.thaw()
        # Thawed: everything answers again (the abandoned work unwinds by itself).
        deadline = time.monotonic() + 20
        while (await http.get("/api/v1/health")).status_code != 200:
            assert time.monotonic() < deadline, "health did not come back"
            await asyncio.sleep(0.2)
        state = await http.get(f"/api/v1/genesis/sessions/{session_id}/state")
        assert state.status_code == 200, state.text


@pytest.mark.parametrize(
    ("command", "port_variable"),
    [(["relay"], "RELAY_METRICS_PORT"), (["worker"], "WORKER_METRICS_PORT")],
)
def test_relay_and_worker_health_answer_503_while_the_database_is_frozen(
    settings: Settings,
    proxy: FrozenProxy,
    command: list[str],
    port_variable: str,
    clean_db: asyncpg.Pool,
) -> None:
    # clean_db: the relay's /health is 503 while an unsent row is older than its limit, and an
    # earlier test's held rows (a FAILED row holds its key's later rows) were: "never healthy".
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": proxy.url,
        "KAFKA_BOOTSTRAP_SERVERS": str(settings.kafka_bootstrap_servers),
        "KAFKA_TOPIC": settings.kafka_topic,
        "JWT_SECRET_KEY": settings.jwt_secret_key.get_secret_value(),
        "WORKER_CONSUMER_GROUP": f"frozen-{port}",
        "LOG_LEVEL": "WARNING",
        port_variable: str(port),
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "infinite_scribe.cli", *command],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}/health"
    try:
        deadline = time.monotonic() + 60
        while True:
            assert process.poll() is None, "it exited early"
            try:
                if httpx.get(url, timeout=5).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, f"never healthy: {_last_health(url)}"
            time.sleep(0.2)
        proxy.freeze()
        try:
            for _ in range(2):
                health, took = _timed_get(url)
                assert health.status_code == 503 and took < HEALTH_WITHIN + 0.5, (health.text, took)
                assert "database_error" in health.json()
        finally:
            proxy.thaw()
    finally:
        process.terminate()
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(5)


def _last_health(url: str) -> str:
    try:
        return httpx.get(url, timeout=5).text
    except httpx.TransportError as error:
        return repr(error)
