"""`scribe worker` (and SERVICE_TYPE=agent-worker) as a real process: it serves /health and
/metrics on WORKER_METRICS_PORT and exits 0 on SIGTERM."""

import os
import random
import signal
import socket
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


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid and fields[0] != "Z":
                found.append(int(entry.name))
    return found


def _gone(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z"
    except OSError:
        return True


def test_processes_run_n_workers_and_stop_together(database_url: str, kafka_bootstrap: str) -> None:
    """Issue 27: `scribe worker --processes 2` runs two workers in the consumer group (metrics on
    WORKER_METRICS_PORT and the next port); SIGTERM stops both, exit 0; a child that dies takes
    the other down and the parent reports its status."""
    for ending in (signal.SIGTERM, signal.SIGKILL):
        port = two_free_ports()  # each round: a port freed by the last may be taken since
        env = {
            **os.environ,
            "WORKER_METRICS_PORT": str(port),
            "LOG_LEVEL": "WARNING",
            "DATABASE_URL": database_url,
            "KAFKA_BOOTSTRAP_SERVERS": kafka_bootstrap,
            "WORKER_CONSUMER_GROUP": f"e2e-procs-{port}",
        }
        parent = subprocess.Popen([str(SCRIBE), "worker", "--processes", "2"], env=env)
        try:
            for metrics in (port, port + 1):
                assert (
                    _wait_healthy(parent, f"http://127.0.0.1:{metrics}/health").status_code == 200
                )
            children = _children(parent.pid)
            assert len(children) == 2
            if ending == signal.SIGTERM:
                parent.send_signal(signal.SIGTERM)
                assert parent.wait(30) == 0
            else:
                os.kill(children[0], signal.SIGKILL)  # one worker dies
                assert parent.wait(30) != 0
            deadline = time.monotonic() + 10
            while not all(_gone(child) for child in children) and time.monotonic() < deadline:
                time.sleep(0.1)
            assert all(_gone(child) for child in children)
        finally:
            if parent.poll() is None:
                parent.kill()
                parent.wait(10)


def test_the_workers_die_with_a_killed_parent(database_url: str, kafka_bootstrap: str) -> None:
    """Issue 41, W1: kill -9 of the parent left both children running (beside the restarted
    unit's own, and holding its metrics ports)."""
    port = two_free_ports()
    env = {
        **os.environ,
        "WORKER_METRICS_PORT": str(port),
        "LOG_LEVEL": "WARNING",
        "DATABASE_URL": database_url,
        "KAFKA_BOOTSTRAP_SERVERS": kafka_bootstrap,
        "WORKER_CONSUMER_GROUP": f"e2e-orphans-{port}",
    }
    parent = subprocess.Popen([str(SCRIBE), "worker", "--processes", "2"], env=env)
    children: list[int] = []
    try:
        for metrics in (port, port + 1):
            assert _wait_healthy(parent, f"http://127.0.0.1:{metrics}/health").status_code == 200
        children = _children(parent.pid)
        assert len(children) == 2
        parent.kill()
        parent.wait(10)
        # Bounded wait for the children's graceful stop (not a timing assertion).
        deadline = time.monotonic() + 60
        while not all(_gone(child) for child in children) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert all(_gone(child) for child in children)
    finally:
        for child in children:
            if not _gone(child):
                os.kill(child, signal.SIGKILL)
        if parent.poll() is None:
            parent.kill()
            parent.wait(10)


def two_free_ports() -> int:
    """A port P with P and P + 1 free, below the kernel's ephemeral range (32768 and up): there
    no outgoing connection of this or another test process is given it meanwhile, as one was
    given P + 1 picked by `free_port` (the worker's second metrics port: address in use)."""
    rng = random.Random()
    for _ in range(200):
        port = rng.randrange(20_000, 32_000)
        with socket.socket() as first, socket.socket() as second:
            try:
                first.bind(("127.0.0.1", port))
                second.bind(("127.0.0.1", port + 1))
            except OSError:
                continue
        return port
    raise RuntimeError("no two free ports found")
