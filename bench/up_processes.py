"""`scribe up` as one process or as three (issue 49): the API, the relay and the agent worker
on one event loop (what `scribe up` runs), against `scribe api`, `scribe relay` and
`scribe worker` as processes of their own (what docs/deploy.md deploys), on the same
database and broker, started in turns. For each way: seconds from the start until every
`/health` answers 200, the memory (RSS, and PSS, which counts a shared page once) once
ready, and while a writer holds the API's loop (bodies of 19,800 small values, four at
once) how long the relay's `/health` then takes: what one process's stall costs the others.

Usage: python bench/up_processes.py   (BENCH_ROUNDS, default 2)
"""

import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import httpx

from _services import broker, fresh_database
from infinite_scribe.api.auth import create_access_token
from infinite_scribe.embedded.kafka import free_port
from infinite_scribe.settings.settings import Settings

SECRET = "bench-up-processes-secret-of-enough-length"
WAYS = {"one": [["up"]], "three": [["api"], ["relay"], ["worker"]]}


def _environment(database_url: str, servers: str, data_dir: str) -> dict[str, str]:
    ports = {name: str(free_port()) for name in ("API", "RELAY_METRICS", "WORKER_METRICS")}
    return dict(
        os.environ,
        DATABASE_URL=database_url,
        KAFKA_BOOTSTRAP_SERVERS=servers,
        JWT_SECRET_KEY=SECRET,
        SCRIBE_DATA_DIR=data_dir,
        LOG_LEVEL="WARNING",
        API_METRICS_PORT="0",
        API_PORT=ports["API"],
        RELAY_METRICS_PORT=ports["RELAY_METRICS"],
        WORKER_METRICS_PORT=ports["WORKER_METRICS"],
    )


def _health_urls(env: dict[str, str]) -> list[str]:
    return [
        f"http://127.0.0.1:{env['API_PORT']}/api/v1/health",
        f"http://127.0.0.1:{env['RELAY_METRICS_PORT']}/health",
        f"http://127.0.0.1:{env['WORKER_METRICS_PORT']}/health",
    ]


def _ready(urls: list[str], deadline: float) -> None:
    waiting = list(urls)
    while waiting:
        if time.monotonic() > deadline:
            raise RuntimeError(f"not ready: {waiting}")
        try:
            if httpx.get(waiting[0], timeout=2).status_code == 200:
                waiting.pop(0)
                continue
        except httpx.HTTPError:
            pass
        time.sleep(0.05)


def _memory_mb(pid: int) -> tuple[float, float]:
    """RSS and PSS of the process and its children, in MB."""
    rss = pss = 0.0
    for member in _tree(pid):
        for line in Path(f"/proc/{member}/smaps_rollup").read_text().splitlines():
            name, _, rest = line.partition(":")
            if name in ("Rss", "Pss"):
                value = int(rest.split()[0]) / 1024
                rss, pss = (rss + value, pss) if name == "Rss" else (rss, pss + value)
    return rss, pss


def _tree(pid: int) -> list[int]:
    children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    return [pid, *(member for child in children for member in _tree(int(child)))]


@contextmanager
def started(way: str, env: dict[str, str]) -> Iterator[list[subprocess.Popen[bytes]]]:
    processes = [
        subprocess.Popen([sys.executable, "-m", "infinite_scribe.cli", *command], env=env)
        for command in WAYS[way]
    ]
    try:
        yield processes
    finally:
        for process in processes:
            process.send_signal(signal.SIGTERM)
        for process in processes:
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def _stalled_relay_health_ms(env: dict[str, str], seconds: float = 5.0) -> float:
    """The relay's slowest /health while four writers send the API bodies of many values."""
    token = create_access_token(Settings(jwt_secret_key=SECRET), uuid.uuid4())
    body = json.dumps({"initial_user_input": {"v": [0] * 19_800}}).encode()
    api, relay = _health_urls(env)[:2]
    sessions = api.replace("/health", "/genesis/sessions")
    end = time.monotonic() + seconds

    def writer() -> None:
        headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        with httpx.Client(timeout=30) as client:
            while time.monotonic() < end:
                client.post(sessions, content=body, headers=headers)

    threads = [threading.Thread(target=writer) for _ in range(4)]
    for thread in threads:
        thread.start()
    worst = 0.0
    with httpx.Client(timeout=30) as client:
        while time.monotonic() < end:
            began = time.perf_counter()
            client.get(relay)
            worst = max(worst, time.perf_counter() - began)
            time.sleep(0.01)
    for thread in threads:
        thread.join()
    return worst * 1000


def measure(way: str, database_url: str, servers: str) -> dict[str, float]:
    with tempfile.TemporaryDirectory(prefix="scribe-up-bench-") as data_dir:
        env = _environment(database_url, servers, data_dir)
        began = time.monotonic()
        with started(way, env) as processes:
            _ready(_health_urls(env), began + 120)
            ready = time.monotonic() - began
            time.sleep(2)  # settled: the first polls and pools made
            memory = [_memory_mb(process.pid) for process in processes]
            stalled = _stalled_relay_health_ms(env)
        return {
            "start_s": round(ready, 2),
            "rss_mb": round(sum(rss for rss, _ in memory)),
            "pss_mb": round(sum(pss for _, pss in memory)),
            "relay_health_worst_ms_while_api_loaded": round(stalled, 1),
        }


def main() -> None:
    rounds = int(os.environ.get("BENCH_ROUNDS", "2"))
    with ExitStack() as stack:
        database_url = stack.enter_context(fresh_database())
        servers = stack.enter_context(broker())
        for round_number in range(rounds):
            for way in ("one", "three") if round_number % 2 == 0 else ("three", "one"):
                figures = measure(way, database_url, servers)
                print(json.dumps({"bench": "up_processes", "way": way, **figures}), flush=True)


if __name__ == "__main__":
    main()
