"""Issue 21, items 11 and 12 against a real `scribe up`: its embedded broker killed (-9) under
load is restarted by `up` itself and nothing acknowledged is lost, with the log flood thinned;
`up` killed (-9) leaves no PostgreSQL (nor broker) running."""

import asyncio
import os
import signal
import threading
import time
import uuid
from typing import Any

import asyncpg
import httpx
import pytest
from confluent_kafka import OFFSET_BEGINNING, Consumer, TopicPartition

from tests.support.scribe_up import ScribeUp, cmdline, process_running

pytestmark = pytest.mark.slow

TOPIC = "domain-events"


def test_a_killed_up_leaves_no_postgres_running() -> None:
    with ScribeUp() as up:
        services = up.wait_healthy()
        postmaster = int((up.data_dir / "pg" / "postmaster.pid").read_text().split()[0])
        brokers = up.broker_pids()
        assert process_running(postmaster) and brokers
        os.kill(int(services["pid"]), signal.SIGKILL)
        left = {postmaster, *brokers}
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and any(process_running(pid) for pid in left):
            time.sleep(0.1)
        assert not process_running(postmaster), "the embedded PostgreSQL outlived `up`"
        assert not any(process_running(pid) for pid in brokers), "the broker outlived `up`"
        # The watchdog says so once the postmaster is gone: a moment after we saw it go.
        while time.monotonic() < deadline and "stopped PostgreSQL" not in up.output:
            time.sleep(0.1)
        assert "stopped PostgreSQL" in up.output


def test_a_killed_postgres_is_restarted_with_its_data() -> None:
    with ScribeUp() as up:
        services = up.wait_healthy()
        api, headers = services["api_url"], {"Authorization": f"Bearer {up.token()}"}
        created = httpx.post(f"{api}/api/v1/genesis/sessions", headers=headers, timeout=10)
        session_id = created.json()["session_id"]
        pid_file = up.data_dir / "pg" / "postmaster.pid"
        postmaster = int(pid_file.read_text().split()[0])
        with Load(api, up.token()) as load:
            _wait(lambda: len(load.tasks) >= 10, 60, f"no load: {load.failures[-3:]}")
            os.kill(postmaster, signal.SIGKILL)
            _wait(lambda: len(load.failures) >= 5, 60, "no request met the dead database")
            # Connections broken by the kill are closed, never handed out again: every failure
            # is a 503, none a 500 (issue 28, A5: "cannot switch to state 12").
            tasks_before = len(load.tasks)
            _wait(lambda: len(load.tasks) > tasks_before + 10, 90, "writes never came back")
        statuses = {failure.split()[0] for failure in load.failures}
        assert statuses <= {"503"}, [f for f in load.failures if not f.startswith("503")][:5]

        def restarted() -> bool:
            try:
                pid = int(pid_file.read_text().split()[0])
            except (OSError, ValueError, IndexError):
                return False
            # The supervisor logs the restart once its restart call returned, which can be a
            # moment after the new server already answers: wait for both.
            up_again = pid != postmaster and process_running(pid) and _healthy(api)
            return up_again and "embedded PostgreSQL restarted" in up.output

        _wait(restarted, 60, f"PostgreSQL not restarted: {up.output[-2000:]}")
        state = httpx.get(f"{api}/api/v1/genesis/sessions/{session_id}/state", headers=headers)
        assert state.status_code == 200 and state.json()["session_id"] == session_id
        # pgserver's output (initdb, pg_ctl, the server log on a failed attempt) is not logged,
        # and the pool's reconnection tracebacks are thinned.
        assert '"logger":"pgserver"' not in up.output
        floor = up.output.count("Failed to restore the pool connection floor")
        assert floor <= 12, floor


class Load:
    """Writers opening sessions and asking for concepts until stopped; every acknowledged
    command (a 202) is recorded with its task."""

    def __init__(self, api: str, token: str, writers: int = 4) -> None:
        self.api, self.headers = api, {"Authorization": f"Bearer {token}"}
        self.stop = threading.Event()
        self.tasks: list[str] = []
        self.failures: list[str] = []
        self.threads = [threading.Thread(target=self._write) for _ in range(writers)]

    def _write(self) -> None:
        with httpx.Client(base_url=f"{self.api}/api/v1", headers=self.headers, timeout=30) as c:
            while not self.stop.is_set():
                session = c.post("/genesis/sessions")
                if session.status_code != 201:
                    self.failures.append(f"{session.status_code} {session.text}")
                    continue
                command = c.post(
                    f"/genesis/sessions/{session.json()['session_id']}/commands",
                    json={"command_type": "RequestConceptGeneration", "payload": {}},
                )
                if command.status_code == 202:
                    self.tasks.append(command.json()["task_id"])
                else:
                    self.failures.append(f"{command.status_code} {command.text}")

    def __enter__(self) -> "Load":
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        for thread in self.threads:
            thread.join(60)


def _wait(check: Any, within: float, what: str) -> float:
    started = time.monotonic()
    while time.monotonic() - started < within:
        if check():
            return time.monotonic() - started
        time.sleep(0.2)
    raise AssertionError(what)


def _healthy(api: str) -> bool:
    try:
        return httpx.get(f"{api}/api/v1/health", timeout=3).status_code == 200
    except httpx.HTTPError:
        return False


async def _outbox(database_url: str) -> tuple[dict[str, int], list[tuple[str, float]]]:
    connection = await asyncpg.connect(database_url)
    try:
        counts = dict(
            await connection.fetch("SELECT status::text, count(*) FROM event_outbox GROUP BY 1")
        )
        sent = await connection.fetch(
            "SELECT event_id::text, extract(epoch FROM created_at) FROM event_outbox "
            "WHERE status = 'SENT'"
        )
        return counts, [(row[0], float(row[1])) for row in sent]
    finally:
        await connection.close()


def _ce_ids(servers: str) -> set[str]:
    consumer = Consumer({"bootstrap.servers": servers, "group.id": f"t-{uuid.uuid4().hex}"})
    try:
        partitions = consumer.list_topics(TOPIC, timeout=10).topics[TOPIC].partitions
        assert len(partitions) == 6, "the restarted broker's topic has its configured partitions"
        consumer.assign([TopicPartition(TOPIC, p, OFFSET_BEGINNING) for p in partitions])
        found: set[str] = set()
        quiet_until = time.monotonic() + 3
        while time.monotonic() < quiet_until:
            for message in consumer.consume(1000, 0.2):
                if message.error() is None:
                    found.add(dict(message.headers() or [])["ce_id"].decode())
                    quiet_until = time.monotonic() + 3
        return found
    finally:
        consumer.close()


def _wait_all_completed(api: str, token: str, tasks: list[str], within: float) -> None:
    pending = set(tasks)

    def all_completed() -> bool:
        for task in list(pending):
            response = httpx.get(
                f"{api}/api/v1/tasks/{task}", headers={"Authorization": f"Bearer {token}"}
            )
            if response.json().get("status") == "COMPLETED":
                pending.discard(task)
        return not pending

    _wait(all_completed, within, f"tasks never completed: {len(pending)}")


def _assert_reached_the_new_broker(services: dict[str, Any], back_at: float) -> None:
    """The outbox drains with nothing FAILED, and what the restarted broker acknowledged is in
    it (what the dead one had acknowledged died with its memory: the embedded broker's
    documented limit)."""

    def drained() -> bool:
        counts, _ = asyncio.run(_outbox(services["database_url"]))
        return set(counts) == {"SENT"}

    _wait(drained, 60, "the outbox did not drain")
    _, sent = asyncio.run(_outbox(services["database_url"]))
    # Written after the restart, so produced to the new broker only. Not "marked SENT after":
    # the relay marks a batch once all of it is acknowledged, and a batch the dead broker had
    # acknowledged in part was marked after the restart (1 of 357 "missing", stop 88).
    after = {event_id for event_id, created_at in sent if created_at > back_at}
    assert after, "nothing was published after the restart"
    missing = after - _ce_ids(services["kafka_bootstrap_servers"])
    assert not missing, f"{len(missing)} of {len(after)} events missing from the broker"


def _assert_flood_thinned(output: str) -> None:
    """A handful of lines per kind, not hundreds (issue 21 counted 480 + 1,140 in 43 s)."""
    window = [
        line for line in output.splitlines() if "uvicorn.access" not in line and "timestamp" in line
    ]
    unreachable = [line for line in window if "broker unreachable" in line]
    refused = [line for line in window if "Connection refused" in line]
    assert len(unreachable) <= 6 and len(refused) <= 20, (len(unreachable), len(refused))


def test_a_killed_broker_under_load_recovers_by_itself_with_nothing_lost() -> None:
    env = {
        # Short enough for a test: requests the dead broker held are re-published after this.
        "WORKER_REDRIVE_AFTER_SECONDS": "5",
        "WORKER_REDRIVE_INTERVAL_SECONDS": "1",
        "RELAY_MESSAGE_TIMEOUT_MS": "3000",
        # It reads what was published from `event_outbox` (SENT rows): the table mode.
        "EMBEDDED_OUTBOX_MODE": "table",
    }
    with ScribeUp(**env) as up:
        services = up.wait_healthy()
        api = services["api_url"]
        with Load(api, up.token()) as load:
            _wait(lambda: len(load.tasks) >= 20, 60, "no load")
            (broker,) = up.broker_pids()
            os.kill(broker, signal.SIGKILL)
            # `up` notices and restarts it (so quickly that health may never show it down).
            down = _wait(lambda: broker not in up.broker_pids() and up.broker_pids(), 30, "")
            down += _wait(lambda: _healthy(api), 30, "unhealthy after the restart")
            back_at = time.time()
            acknowledged_then = len(load.tasks)
            _wait(lambda: len(load.tasks) >= acknowledged_then + 20, 60, "no load after")
        assert load.failures == [], load.failures[:5]
        assert down < 15
        (restarted,) = up.broker_pids()
        assert restarted != broker and "--cluster-id" in cmdline(restarted)
        assert "embedded Kafka broker died" in up.output and "restarted after" in up.output

        # Every acknowledged command is answered: the requests the dead broker held were
        # re-published by the re-drive sweep.
        _wait_all_completed(api, up.token(), load.tasks, within=180)
        _assert_reached_the_new_broker(services, back_at)
        _assert_flood_thinned(up.output)
