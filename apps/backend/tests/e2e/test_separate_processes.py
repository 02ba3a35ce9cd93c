"""`scribe api`, `scribe relay` and `scribe worker` as three processes against one database and
one broker, as a deployment runs them (issue 28): every requested generation completes.

The topic is new to the broker, and the worker starts first, as nothing orders a deployment's
processes: a worker that subscribed to a topic the relay had not produced to yet used to wait
librdkafka's five-minute metadata refresh before it saw a partition, leaving the requests
PENDING ("request re-published")."""

import asyncio
import contextlib
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from infinite_scribe.api.auth import create_access_token
from infinite_scribe.embedded.kafka import free_port
from infinite_scribe.persistence import migrate
from infinite_scribe.settings.settings import Settings

pytestmark = [pytest.mark.kafka, pytest.mark.slow]

SCRIBE = Path(sys.executable).with_name("scribe")
SECRET = "separate-processes-test-secret-" + "x" * 16
FLOWS = 4
REQUEST = {
    "command_type": "RequestConceptGeneration",
    "payload": {"theme_preferences": ["science fiction"], "style_preferences": ["brisk"]},
}


def _environment(database_url: str, kafka_bootstrap: str) -> dict[str, str]:
    tag = uuid.uuid4().hex[:8]
    return {
        **os.environ,
        "DATABASE_URL": database_url,
        "KAFKA_BOOTSTRAP_SERVERS": kafka_bootstrap,
        "KAFKA_TOPIC": f"separate-{tag}",
        "WORKER_CONSUMER_GROUP": f"separate-{tag}",
        "WORKER_METRICS_PORT": str(free_port()),
        "RELAY_METRICS_PORT": str(free_port()),
        "API_METRICS_PORT": str(free_port()),
        "JWT_SECRET_KEY": SECRET,
        "LLM_PROVIDER": "offline",
        "LOG_LEVEL": "INFO",
    }


@contextlib.contextmanager
def _processes(env: dict[str, str], api_port: int, logs: Path) -> Iterator[list[Path]]:
    """The worker first, then the relay, then the API; killed at the end."""
    started: list[tuple[subprocess.Popen[bytes], Path]] = []
    commands = {
        "worker": [str(SCRIBE), "worker"],
        "relay": [str(SCRIBE), "relay"],
        "api": [str(SCRIBE), "api", "--port", str(api_port), "--no-access-log"],
    }
    try:
        for name, command in commands.items():
            log = logs / f"{name}.log"
            with log.open("wb") as out:
                process = subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT)
            started.append((process, log))
        yield [log for _, log in started]
    finally:
        for process, _ in started:
            if process.poll() is None:
                process.kill()
                process.wait(10)


def _tails(logs: list[Path]) -> str:
    return "\n".join(f"--- {log.name}\n{log.read_text(errors='replace')[-1500:]}" for log in logs)


async def _api_up(http: httpx.AsyncClient, logs: list[Path]) -> None:
    deadline = asyncio.get_running_loop().time() + 60
    while asyncio.get_running_loop().time() < deadline:
        with contextlib.suppress(httpx.TransportError):
            if (await http.get("/api/v1/health")).status_code == 200:
                return
        await asyncio.sleep(0.2)
    raise AssertionError(f"the API never answered healthy\n{_tails(logs)}")


async def _flow(http: httpx.AsyncClient) -> str:
    """A new session asks for concepts; returns its task id."""
    session = (await http.post("/api/v1/genesis/sessions")).json()["session_id"]
    reply = await http.post(f"/api/v1/genesis/sessions/{session}/commands", json=REQUEST)
    assert reply.status_code == 202, reply.text
    return str(reply.json()["task_id"])


async def _completed(http: httpx.AsyncClient, task_id: str, within: float) -> str:
    deadline = asyncio.get_running_loop().time() + within
    status = "?"
    while asyncio.get_running_loop().time() < deadline:
        status = (await http.get(f"/api/v1/tasks/{task_id}")).json()["status"]
        if status in ("COMPLETED", "FAILED", "CANCELLED"):
            return str(status)
        await asyncio.sleep(0.2)
    return status


async def test_generations_complete_with_api_relay_and_worker_as_processes(
    fresh_database: object, kafka_bootstrap: str, tmp_path: Path
) -> None:
    database_url = str(fresh_database())  # type: ignore[operator]
    await asyncio.to_thread(migrate.upgrade, database_url)
    env = _environment(database_url, kafka_bootstrap)
    port = free_port()
    token = create_access_token(Settings(jwt_secret_key=SECRET), uuid.uuid4(), 3600)
    headers = {"Authorization": f"Bearer {token}"}
    with _processes(env, port, tmp_path) as logs:
        async with httpx.AsyncClient(
            base_url=f"http://127.0.0.1:{port}", headers=headers, timeout=10
        ) as http:
            await _api_up(http, logs)
            tasks = [await _flow(http) for _ in range(FLOWS)]
            # Well under the re-drive and the five-minute metadata refresh the bug waited for.
            statuses = await asyncio.gather(*(_completed(http, task, 45) for task in tasks))
    assert statuses == ["COMPLETED"] * FLOWS, f"{statuses}\n{_tails(logs)}"
