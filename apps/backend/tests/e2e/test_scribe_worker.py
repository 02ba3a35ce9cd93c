"""`scribe worker` (and SERVICE_TYPE=agent-worker) as a real process: it serves /health and
/metrics on WORKER_METRICS_PORT and exits 0 on SIGTERM."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from infinite_scribe.embedded.kafka import free_port

SCRIBE = Path(sys.executable).with_name("scribe")


def _wait_healthy(process: subprocess.Popen[bytes], url: str) -> httpx.Response:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        assert process.poll() is None, "the worker exited early"
        try:
            return httpx.get(url, timeout=1)
        except httpx.TransportError:
            time.sleep(0.1)
    raise AssertionError("the worker never answered /health")


@pytest.mark.parametrize(
    ("command", "service_type"),
    [([str(SCRIBE), "worker"], None), ([sys.executable, "-m", "infinite_scribe"], "agent-worker")],
)
def test_worker_serves_health_and_stops_on_sigterm(
    command: list[str], service_type: str | None, database_url: str, kafka_bootstrap: str
) -> None:
    port = free_port()
    env = {
        **os.environ,
        "WORKER_METRICS_PORT": str(port),
        "LOG_LEVEL": "WARNING",
        "DATABASE_URL": database_url,
        "KAFKA_BOOTSTRAP_SERVERS": kafka_bootstrap,
        "WORKER_CONSUMER_GROUP": f"e2e-{port}",
    }
    if service_type is not None:
        env["SERVICE_TYPE"] = service_type
    process = subprocess.Popen(command, env=env)
    try:
        health = _wait_healthy(process, f"http://127.0.0.1:{port}/health")
        assert health.status_code == 200 and health.json()["status"] == "ok"
        metrics = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=2)
        assert "agent_requests_handled_total" in metrics.text
        assert "agent_consumer_lag" in metrics.text or "agent_generation_duration" in metrics.text
        process.send_signal(signal.SIGTERM)
        assert process.wait(15) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(10)


def test_worker_without_a_database_exits_2() -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "POSTGRES_HOST")}
    result = subprocess.run([str(SCRIBE), "worker"], env=env, capture_output=True, timeout=30)
    assert result.returncode == 2
    assert b"DATABASE_URL" in result.stderr
