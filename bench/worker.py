"""Agent worker end to end: HTTP 202 -> outbox -> relay -> broker -> agent worker (offline
generator) -> `...Proposed` committed, with `scribe api`, `scribe relay` and `scribe worker`
as separate processes on embedded PostgreSQL and broker.

1. Throughput: 32 closed-loop clients send RequestConceptGeneration on fresh sessions for
   BENCH_SECONDS; requests/s is counted from the first send to the last proposal committed.
   The limit in the same run is the rate at which the API accepted them (202/s).
2. Latency at a steady offered 100 requests/s (open loop: each request is sent on schedule,
   latency measured from the scheduled send to the proposal's commit).

Targets (issue 10, again issue 18): >= 300 requests/s end to end; p99 <= 100 ms at 100
requests/s.
Usage: python bench/worker.py   (BENCH_SECONDS, BENCH_CLIENTS)
"""

import asyncio
import json
import os
import time
import uuid
from collections import Counter
from contextlib import ExitStack
from dataclasses import dataclass

import asyncpg
import uvloop

from _commands_http import KeepAliveClient
from _generation_cost import Processes, cost_lines, cpu_per_unit
from _harness import HOST, api_process, background, bench_user, percentile, services, system_env
from commands import create_sessions

REQUEST = json.dumps({"command_type": "RequestConceptGeneration", "payload": {}}).encode()


async def send(client: KeepAliveClient, session_id: str) -> str:
    status, body = await client.request(
        "POST", f"/api/v1/genesis/sessions/{session_id}/commands", REQUEST
    )
    assert status == 202, body
    return str(json.loads(body)["task_id"])


async def finished(database_url: str, sent: dict[str, float], within: float) -> dict[str, float]:
    """Wait until every task in `sent` is COMPLETED; return task id -> commit time (epoch)."""
    connection = await asyncpg.connect(database_url)
    try:
        deadline = time.monotonic() + within
        ids = [uuid.UUID(task) for task in sent]
        while True:
            rows = await connection.fetch(
                "SELECT id, extract(epoch FROM finished_at) AS done, status::text AS status "
                "FROM async_tasks WHERE id = ANY($1) AND finished_at IS NOT NULL",
                ids,
            )
            if len(rows) == len(ids) or time.monotonic() > deadline:
                bad = [row["status"] for row in rows if row["status"] != "COMPLETED"]
                assert not bad and len(rows) == len(ids), f"{len(rows)}/{len(ids)} done, {bad}"
                return {str(row["id"]): float(row["done"]) for row in rows}
            await asyncio.sleep(0.2)
    finally:
        await connection.close()


@dataclass(frozen=True)
class Throughput:
    requests: int
    accept_per_s: float
    e2e_per_s: float
    #: CPU per request by process (ms), and their total.
    cpu: dict[str, float]


async def throughput(
    port: int, headers: dict[str, str], database_url: str, processes: Processes
) -> Throughput:
    seconds = float(os.environ.get("BENCH_SECONDS", "20"))
    clients = int(os.environ.get("BENCH_CLIENTS", "32"))
    sessions = await create_sessions(port, headers, int(seconds * 600), clients)
    sent: dict[str, float] = {}
    before = processes.snapshot()
    start = time.time()
    end = start + seconds

    async def loop() -> None:
        client = KeepAliveClient(HOST, port, headers)
        while time.time() < end and sessions:
            session = sessions.pop()
            sent[await send(client, session)] = time.time()
        await client.close()

    await asyncio.gather(*(loop() for _ in range(clients)))
    accepted = time.time() - start
    done = await finished(database_url, sent, 120)
    elapsed = max(done.values()) - start
    cpu = cpu_per_unit(before, processes.snapshot(), len(sent))
    return Throughput(len(sent), len(sent) / accepted, len(sent) / elapsed, cpu)


async def steady(port: int, headers: dict[str, str], database_url: str, rate: float) -> list[float]:
    seconds = float(os.environ.get("BENCH_SECONDS", "20"))
    count = int(seconds * rate)
    sessions = await create_sessions(port, headers, count, 16)
    pool = [KeepAliveClient(HOST, port, headers) for _ in range(32)]
    idle = asyncio.Queue[KeepAliveClient]()
    for client in pool:
        idle.put_nowait(client)
    scheduled: dict[str, float] = {}
    start = time.time() + 0.5

    async def one(n: int) -> None:
        at = start + n / rate
        await asyncio.sleep(max(0.0, at - time.time()))
        client = await idle.get()
        try:
            scheduled[await send(client, sessions[n])] = at
        finally:
            idle.put_nowait(client)

    await asyncio.gather(*(one(n) for n in range(count)))
    done = await finished(database_url, scheduled, 120)
    for client in pool:
        await client.close()
    return [(done[task] - at) * 1000 for task, at in scheduled.items()]


def main() -> None:
    user = bench_user()
    secret, headers = user.secret, user.headers
    with services() as (database_url, servers), ExitStack() as stack:
        env = system_env(
            database_url,
            servers,
            secret,
            # The offline generator answers at once (no paced draft stream): this measures the
            # pipeline, not a model.
            LLM_OFFLINE_STREAM_SECONDS="0",
        )
        processes = Processes()
        processes.add("bench", os.getpid())
        processes.add("relay", stack.enter_context(background("relay", env)))
        processes.add("worker", stack.enter_context(background("worker", env)))
        port, api = stack.enter_context(api_process(database_url, servers, secret, None))
        processes.add("api", api)
        time.sleep(5)  # the worker's consumer-group join
        uvloop.run(steady(port, headers, database_url, 10))  # warm-up
        figures = uvloop.run(throughput(port, headers, database_url, processes))
        latencies = uvloop.run(steady(port, headers, database_url, 100))
    p50, p99 = percentile(latencies, 0.50), percentile(latencies, 0.99)
    ratio = figures.e2e_per_s / figures.accept_per_s
    print(
        f"end to end: {figures.requests} requests, {figures.e2e_per_s:.1f} requests/s "
        f"(target >= 300); API accepted {figures.accept_per_s:.1f}/s in the same run "
        f"(ratio {ratio:.2f})"
    )
    print(f"at 100 requests/s offered: p50 {p50:.1f} ms, p99 {p99:.1f} ms (target p99 <= 100)")
    print(cost_lines("throughput (offline model)", figures.cpu, Counter(), figures.requests))
    result = {
        "bench": "worker",
        "e2e_requests_per_s": round(figures.e2e_per_s, 1),
        "accepted_per_s": round(figures.accept_per_s, 1),
        "cpu_ms_per_request": figures.cpu,
        "ratio": round(ratio, 3),
        "p50_ms_at_100": round(p50, 2),
        "p99_ms_at_100": round(p99, 2),
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
