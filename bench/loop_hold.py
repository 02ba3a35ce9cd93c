"""What a hostile writer's valid requests do to everyone else's `/health` (issue 49), black
box against `scribe api`: four writers for BENCH_SECONDS per case while another process asks
`/health` every 10 ms; per case `/health` p50/p99/max, the server's RSS growth and 5xx count,
and p99 over the idle p99 of the same run (the limit).

Cases (the issue's): `lists`, a command body of 215,000 empty lists (0.86 MB, under the body
limit); `events`, `GET .../events?limit=500` of a session whose events hold ~10 MB of payload.
Black box (only `scribe db upgrade`, `scribe api` and the embedded broker), so the same file
measures another checkout: `ab.sh OLD NEW 1 -- .venv/bin/python /path/to/bench/loop_hold.py`.

Usage: python bench/loop_hold.py   (BENCH_SECONDS=10, DATABASE_URL: a server to make a
database on, default the local one)
"""

import asyncio
import json
import multiprocessing
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from _services import admin
from infinite_scribe.api.auth import create_access_token
from infinite_scribe.embedded.kafka import EmbeddedKafka, free_port
from infinite_scribe.settings.settings import Settings

SECRET = "bench-loop-hold-secret-of-enough-length"
SERVER = os.environ.get("DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
SESSIONS = "/api/v1/genesis/sessions"
STAGES = ("CONCEPT_SELECTION", "STORY_CONCEPTION", "WORLDVIEW", "CHARACTERS", "PLOT_OUTLINE")
LISTS = json.dumps(
    {"command_type": "RequestConceptGeneration", "payload": {"preferences": {"x": [[]] * 215_000}}}
).encode()


@contextmanager
def database() -> Iterator[str]:
    name = f"bench_loop_{uuid.uuid4().hex[:8]}"
    asyncio.run(admin(SERVER, f"CREATE DATABASE {name}"))
    url = SERVER.rsplit("/", 1)[0] + f"/{name}"
    try:
        env = dict(os.environ, DATABASE_URL=url)
        subprocess.run(
            [sys.executable, "-m", "infinite_scribe.cli", "db", "upgrade"],
            env=env,
            check=True,
            capture_output=True,
        )
        yield url
    finally:
        asyncio.run(admin(SERVER, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))


@contextmanager
def api(database_url: str, servers: str) -> Iterator[tuple[str, int]]:
    port = free_port()
    env = dict(
        os.environ,
        DATABASE_URL=database_url,
        KAFKA_BOOTSTRAP_SERVERS=servers,
        JWT_SECRET_KEY=SECRET,
        LOG_LEVEL="WARNING",
        API_METRICS_PORT="0",
    )
    command = [
        sys.executable,
        "-m",
        "infinite_scribe.cli",
        "api",
        "--port",
        str(port),
        "--no-access-log",
    ]
    process = subprocess.Popen(
        command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{url}/api/v1/health", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
        yield url, process.pid
    finally:
        process.terminate()
        process.wait(20)


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def probe(url: str, seconds: float, results: "multiprocessing.connection.Connection") -> None:
    """Another process: `/health` every 10 ms for `seconds`, its answer times sent back."""
    times: list[float] = []
    end = time.monotonic() + seconds
    with httpx.Client(timeout=60) as client:
        while time.monotonic() < end:
            started = time.perf_counter()
            client.get(f"{url}/api/v1/health")
            times.append(time.perf_counter() - started)
            time.sleep(0.01)
    results.send(times)


async def seeded(client: httpx.AsyncClient) -> str:
    """A finished session of five ~160 KB stages, rolled back and forth 11 times: ~10 MB of
    event payloads (each rollback carries the state)."""
    session = (await client.post(SESSIONS)).json()["session_id"]
    data = {"items": ["w" * 100] * 1400}
    for stage in STAGES:
        body = {"command_type": "ConfirmStage", "payload": {"stage": stage, "data": data}}
        (await client.post(f"{SESSIONS}/{session}/commands", json=body)).raise_for_status()
    history = (await client.get(f"{SESSIONS}/{session}/history")).json()
    ids = {s["stage"]: s["versions"][-1]["event_id"] for s in history["stages"]}
    for turn in range(11):  # a twelfth: 413 HISTORY_TOO_LARGE (issue 54)
        target = ids["CHARACTERS" if turn % 2 == 0 else "PLOT_OUTLINE"]
        body = {"command_type": "RollbackToVersion", "payload": {"event_id": target}}
        answer = await client.post(f"{SESSIONS}/{session}/commands", json=body)
        assert answer.status_code == 200, (turn, answer.text[:300])
    return str(session)


async def load(client: httpx.AsyncClient, case: str, session: str, seconds: float) -> list[int]:
    end = time.monotonic() + seconds
    statuses: list[int] = []

    async def writer() -> None:
        own = (await client.post(SESSIONS)).json()["session_id"]
        while time.monotonic() < end:
            if case == "lists":
                answer = await client.post(
                    f"{SESSIONS}/{own}/commands",
                    content=LISTS,
                    headers={"Content-Type": "application/json"},
                )
            else:
                answer = await client.get(f"{SESSIONS}/{session}/events", params={"limit": 500})
            statuses.append(answer.status_code)
            assert answer.status_code in (200, 202, 409, 413), answer.text[:200]

    await asyncio.gather(*(writer() for _ in range(4)))
    return statuses


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] * 1000


async def run_case(
    url: str, pid: int, case: str, session: str, seconds: float, headers: dict[str, str]
) -> dict:
    context = multiprocessing.get_context("spawn")
    receiving, sending = context.Pipe(duplex=False)
    prober = context.Process(target=probe, args=(url, seconds, sending))
    before, peak = rss_mb(pid), 0.0
    async with httpx.AsyncClient(base_url=url, headers=headers, timeout=120) as client:
        prober.start()
        task = asyncio.create_task(
            load(client, case, session, seconds) if case != "idle" else asyncio.sleep(seconds, [])
        )
        while not task.done():
            peak = max(peak, rss_mb(pid))
            await asyncio.sleep(0.05)
        statuses = task.result()
    times = receiving.recv()
    prober.join()
    return {
        "case": case,
        "health_p50_ms": round(percentile(times, 0.5), 1),
        "health_p99_ms": round(percentile(times, 0.99), 1),
        "health_max_ms": round(max(times) * 1000, 1),
        "requests": len(statuses),
        "status_5xx": sum(1 for status in statuses if status >= 500),
        "rss_growth_mb": round(max(peak, before) - before, 1),
    }


async def measure(url: str, pid: int, seconds: float) -> None:
    token = create_access_token(Settings(jwt_secret_key=SECRET), uuid.uuid4())
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(base_url=url, timeout=120, headers=headers) as client:
        session = await seeded(client)
    idle = await run_case(url, pid, "idle", session, seconds, headers)
    print(json.dumps({"bench": "loop_hold", **idle}), flush=True)
    for case in ("lists", "events"):
        figures = await run_case(url, pid, case, session, seconds, headers)
        ratio = figures["health_p99_ms"] / max(idle["health_p99_ms"], 0.1)
        line = {"bench": "loop_hold", **figures, "p99_over_idle_p99": round(ratio, 1)}
        print(json.dumps(line), flush=True)


def main() -> None:
    seconds = float(os.environ.get("BENCH_SECONDS", "10"))
    kafka = EmbeddedKafka()
    servers = kafka.start()
    try:
        with database() as database_url, api(database_url, servers) as (url, pid):
            asyncio.run(measure(url, pid, seconds))
    finally:
        kafka.stop()


if __name__ == "__main__":
    main()
