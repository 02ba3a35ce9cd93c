"""Issue 21, items 10 and 13: two `make run` on one machine run side by side with nothing
crossing (API port from `make run PORT=` or API_PORT, brokers and metrics on free ports, each
broker with a cluster id of its own), and a relay or an API given one `up`'s database and the
other's broker refuses that broker."""

import subprocess
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest
from confluent_kafka import OFFSET_BEGINNING, Consumer, TopicPartition

from tests.support.scribe_up import CLI, ScribeUp, environment, named_port

pytestmark = pytest.mark.slow

TOPIC = "domain-events"


def _start_genesis(api: str, token: str) -> tuple[str, str]:
    headers = {"Authorization": f"Bearer {token}"}
    session = httpx.post(f"{api}/api/v1/genesis/sessions", headers=headers, timeout=10)
    assert session.status_code == 201, session.text
    session_id = session.json()["session_id"]
    command = httpx.post(
        f"{api}/api/v1/genesis/sessions/{session_id}/commands",
        headers=headers,
        json={"command_type": "RequestConceptGeneration", "payload": {}},
        timeout=10,
    )
    assert command.status_code == 202, command.text
    return session_id, command.json()["task_id"]


def _wait_completed(api: str, token: str, task_id: str, within: float = 120) -> None:
    deadline = time.monotonic() + within
    status = None
    while time.monotonic() < deadline:
        response = httpx.get(
            f"{api}/api/v1/tasks/{task_id}", headers={"Authorization": f"Bearer {token}"}
        )
        status = response.json().get("status")
        if status == "COMPLETED":
            return
        time.sleep(0.3)
    raise AssertionError(f"task {task_id} is {status}")


def _keys(servers: str, quiet_seconds: float = 3.0) -> set[str]:
    """Every message key (aggregate id) of the topic, read from the start."""
    consumer = Consumer({"bootstrap.servers": servers, "group.id": f"t-{uuid.uuid4().hex}"})
    try:
        partitions = consumer.list_topics(TOPIC, timeout=10).topics[TOPIC].partitions
        consumer.assign([TopicPartition(TOPIC, p, OFFSET_BEGINNING) for p in partitions])
        keys: set[str] = set()
        quiet_until = time.monotonic() + quiet_seconds
        while time.monotonic() < quiet_until:
            for message in consumer.consume(500, 0.2):
                if message.error() is None and message.key():
                    keys.add(message.key().decode())
                    quiet_until = time.monotonic() + quiet_seconds
        return keys
    finally:
        consumer.close()


def _health_until(url: str, check: Any, within: float = 40) -> dict[str, Any]:
    deadline = time.monotonic() + within
    body: dict[str, Any] = {}
    while time.monotonic() < deadline:
        try:
            response = httpx.get(url, timeout=5)
            body = {"status_code": response.status_code, **response.json()}
            if check(body):
                return body
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise AssertionError(f"{url}: {body}")


def _run(args: list[str], data_dir: Path, log: Path, **env: str) -> subprocess.Popen[bytes]:
    with open(log, "wb") as output:
        return subprocess.Popen(
            [*CLI, *args], env=environment(data_dir, **env), stdout=output, stderr=output
        )


def _assert_nothing_crosses(
    a: ScribeUp, one: dict[str, Any], b: ScribeUp, two: dict[str, Any]
) -> None:
    """Each one's events go to its own broker only."""
    session_a, task_a = _start_genesis(one["api_url"], a.token())
    session_b, task_b = _start_genesis(two["api_url"], b.token())
    _wait_completed(one["api_url"], a.token(), task_a)
    _wait_completed(two["api_url"], b.token(), task_b)
    keys_a, keys_b = _keys(one["kafka_bootstrap_servers"]), _keys(two["kafka_bootstrap_servers"])
    assert session_a in keys_a and session_a not in keys_b
    assert session_b in keys_b and session_b not in keys_a


def _assert_other_broker_refused(
    a: ScribeUp, one: dict[str, Any], b: ScribeUp, two: dict[str, Any], logs: Path
) -> None:
    """A's database with B's broker (what a restarted relay met on a reused address): the
    cluster id A recorded in services.json is expected, and B's broker is refused."""
    relay_port, api_port, worker_port = named_port(), named_port(), named_port()
    rogue = {
        "DATABASE_URL": one["database_url"],
        "KAFKA_BOOTSTRAP_SERVERS": two["kafka_bootstrap_servers"],
    }
    relay = _run(
        ["relay"], a.data_dir, logs / "relay.log", RELAY_METRICS_PORT=str(relay_port), **rogue
    )
    api = _run(["api", "--port", str(api_port)], a.data_dir, logs / "api.log", **rogue)
    worker = _run(
        ["worker"], a.data_dir, logs / "worker.log", WORKER_METRICS_PORT=str(worker_port), **rogue
    )
    try:
        refused = _health_until(
            f"http://127.0.0.1:{relay_port}/health",
            lambda body: body["status_code"] == 503 and "broker_problem" in body,
        )
        assert one["kafka_cluster_id"] in refused["broker_problem"]
        assert two["kafka_cluster_id"] in refused["broker_problem"]
        health = _health_until(
            f"http://127.0.0.1:{api_port}/api/v1/health",
            lambda body: body["status_code"] in (200, 503),
        )
        assert health["status_code"] == 503 and health["database"] == "ok"
        assert two["kafka_cluster_id"] in health["kafka"], health
        handled = _health_until(
            f"http://127.0.0.1:{worker_port}/health",
            lambda body: body["status_code"] == 503 and "broker_problem" in body,
        )
        assert two["kafka_cluster_id"] in handled["broker_problem"]
        # The refusing worker took no partition of B's consumer group: B still answers all.
        tasks = [_start_genesis(two["api_url"], b.token())[1] for _ in range(3)]
        for task in tasks:
            _wait_completed(two["api_url"], b.token(), task, within=60)
    finally:
        for process in (relay, api, worker):
            process.terminate()
            process.wait(30)


def test_two_make_runs_side_by_side_and_the_other_broker_refused(tmp_path: Path) -> None:
    port_a, port_b = named_port(), named_port()
    with (
        ScribeUp(["make", "--no-print-directory", "run", f"PORT={port_a}"]) as a,
        ScribeUp(API_PORT=str(port_b)) as b,
    ):
        one, two = a.wait_healthy(), b.wait_healthy()
        assert one["api_url"] == f"http://127.0.0.1:{port_a}"
        assert two["api_url"] == f"http://127.0.0.1:{port_b}"
        assert one["kafka_bootstrap_servers"] != two["kafka_bootstrap_servers"]
        assert one["kafka_cluster_id"] != two["kafka_cluster_id"]
        metrics = [one["relay_metrics_url"], one["worker_metrics_url"]]
        metrics += [two["relay_metrics_url"], two["worker_metrics_url"]]
        assert len(set(metrics)) == 4
        for url in metrics:
            _health_until(f"{url}/health", lambda body: body["status_code"] == 200)
        _assert_nothing_crosses(a, one, b, two)
        _assert_other_broker_refused(a, one, b, two, tmp_path)


def test_an_api_port_in_use_stops_up_at_once_with_the_advice(tmp_path: Path) -> None:
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = subprocess.run(
            [*CLI, "up"],
            env=environment(tmp_path, API_PORT=str(port)),
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    assert result.returncode == 2, result.stderr
    assert f"127.0.0.1:{port} is already in use" in result.stderr
    assert "make run PORT=" in result.stderr
    assert not (tmp_path / "pg").exists()  # nothing was started
