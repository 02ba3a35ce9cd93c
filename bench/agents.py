"""Agents at the model's pace (issue 18): N writers ask for concepts at the same moment, the
model takes D seconds to write each reply (a fake OpenAI-protocol server on loopback, streaming
its chunks over D), with `scribe api`, `scribe relay` and `scribe worker` as separate processes
on a fresh database and broker.

Prints, per scenario: p50/p99/max of 202 -> COMPLETED (the task's finished_at), the first-draft
latency (from the model's first token to a writer's SSE client receiving the first `draft`
event, over a sample of writers following their session), and the model calls in flight at
the peak (as the model server saw them).

Targets: N=200, D=2 s: max <= 4 s, first draft p99 <= 300 ms; N=1,000, D=5 s: all complete,
p99 <= 10 s. Usage: python bench/agents.py [N:D ...]   (default: 200:2 1000:5; BENCH_QUICK=1:
50:1). BENCH_AGENT_WORKERS worker processes (default 1) share the in-flight bound;
BENCH_PROFILE_WORKER=<file> runs the (first) worker under pyinstrument.
"""

import asyncio
import json
import math
import os
import re
import sys
import time
import uuid
from contextlib import ExitStack
from pathlib import Path

import asyncpg
import httpx
import uvloop

from _commands_http import KeepAliveClient
from _generation_cost import Processes, cost_lines, counted_statements, cpu_per_unit
from _harness import HOST, api_process, background, bench_user, percentile, services, system_env
from commands import create_sessions
from worker import finished

# The fake model server is the tests' one (one implementation of the protocol).
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "apps" / "backend"))
from tests.support.fake_llm import FakeLLMServer, Reply

SID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
#: Writers whose stream is followed (first-draft latency); the rest only ask.
SAMPLE = 50
#: Scenarios up to this N count their SQL statements (BENCH_COUNT_UP_TO).
COUNT_UP_TO = int(os.environ.get("BENCH_COUNT_UP_TO", "200"))
FIRST_TOKEN = 0.2  # seconds before the model's first token; the rest is streamed over D - this


async def ask_all(
    port: int, headers: dict[str, str], sessions: list[str], owners: dict[str, str] | None = None
) -> dict[str, float]:
    """One request per session, sent together; task id -> the 202's arrival (epoch)."""
    accepted: dict[str, float] = {}
    owners = {} if owners is None else owners
    clients = [KeepAliveClient(HOST, port, headers) for _ in range(min(64, len(sessions)))]

    async def one(client: KeepAliveClient, share: list[str]) -> None:
        for sid in share:
            body = {"command_type": "RequestConceptGeneration", "payload": {"user_input": sid}}
            status, reply = await client.request(
                "POST", f"/api/v1/genesis/sessions/{sid}/commands", json.dumps(body).encode()
            )
            assert status == 202, reply
            task = json.loads(reply)["task_id"]
            accepted[task] = time.time()
            owners[task] = sid
        await client.close()

    shares = [sessions[n :: len(clients)] for n in range(len(clients))]
    await asyncio.gather(*(one(c, s) for c, s in zip(clients, shares, strict=True)))
    return accepted


async def follow(
    http: httpx.AsyncClient, sid: str, opened: asyncio.Event, drafts: dict[str, float]
) -> None:
    """Read the session's stream; record when its first `draft` arrives."""
    url = f"/api/v1/events/stream?context_id={sid}"
    async with http.stream("GET", url) as response:
        assert response.status_code == 200, (response.status_code, await response.aread())
        event = None
        async for line in response.aiter_lines():
            if line.startswith(":"):
                opened.set()
            elif line.startswith("event: "):
                event = line[7:]
            elif line.startswith("data: ") and event == "draft" and sid not in drafts:
                drafts[sid] = time.time()
                return


async def scenario(
    port: int,
    headers: dict[str, str],
    url: str,
    llm: FakeLLMServer,
    n: int,
    d: float,
    processes: Processes,
) -> dict[str, object]:
    llm.default = Reply.streamed(FIRST_TOKEN, max(d - FIRST_TOKEN, 0.0))
    llm.reset()
    llm.peak_in_flight = 0
    llm.first_tokens.clear()
    sessions = await create_sessions(port, headers, n, 32)
    sessions = sessions[:n]
    sample = sessions[:SAMPLE]
    drafts: dict[str, float] = {}
    limits = httpx.Limits(max_connections=SAMPLE + 5)
    async with httpx.AsyncClient(
        base_url=f"http://{HOST}:{port}", headers=headers, timeout=None, limits=limits
    ) as http:
        opened = [asyncio.Event() for _ in sample]
        readers = [
            asyncio.create_task(follow(http, sid, ev, drafts))
            for sid, ev in zip(sample, opened, strict=True)
        ]
        await asyncio.wait_for(asyncio.gather(*(ev.wait() for ev in opened)), 30)
        owners: dict[str, str] = {}
        before = processes.snapshot()
        # Statements are counted in the quick scenarios only: the log costs PostgreSQL CPU.
        async with counted_statements(url if n <= COUNT_UP_TO else None) as statements:
            accepted = await ask_all(port, headers, sessions, owners)
            done = await finished(url, accepted, 120 + 20 * d)
            started = await started_at(url, accepted)
        cpu = cpu_per_unit(before, processes.snapshot(), n)
        for reader in readers:
            reader.cancel()
        await asyncio.gather(*readers, return_exceptions=True)
    result: dict[str, object] = dict(figures(llm, n, d, sample, accepted, done, owners, drafts))
    result |= split(llm, accepted, started, owners, (done, d))
    result["cpu_ms_per_generation"] = cpu
    result["statements_per_generation"] = round(sum(statements.values()) / n, 2)
    result["report"] = cost_lines(f"N={n} D={d:g}", cpu, statements, n)
    return result


def figures(
    llm: FakeLLMServer,
    n: int,
    d: float,
    sample: list[str],
    accepted: dict[str, float],
    done: dict[str, float],
    owners: dict[str, str],
    drafts: dict[str, float],
) -> dict[str, float]:
    """The scenario's figures from the times the client, the database and the model saw."""
    latencies = [done[task] - at for task, at in accepted.items()]
    # Where the time goes: 202 -> the model call's arrival at the model server.
    arrived = {}
    for seen, at in zip(llm.requests, llm.arrivals, strict=False):
        arrived.setdefault(seen.prompt, at)
    by_sid = {sid: at for prompt, at in arrived.items() for sid in (_sid_in(prompt),) if sid}
    to_model = [by_sid[owners[t]] - at for t, at in accepted.items() if owners[t] in by_sid]
    first_token = {}
    for prompt, at in llm.first_tokens:
        for sid in sample:
            if sid in prompt and sid not in first_token:
                first_token[sid] = at
    first_drafts = [
        (drafts[s] - first_token[s]) * 1000 for s in sample if s in drafts and s in first_token
    ]
    return {
        "n": n,
        "d": d,
        "completed": len(done),
        "p50_s": round(percentile(latencies, 0.5), 3),
        "p99_s": round(percentile(latencies, 0.99), 3),
        "max_s": round(max(latencies), 3),
        "first_draft_p50_ms": round(percentile(first_drafts, 0.5), 1),
        "first_draft_p99_ms": round(percentile(first_drafts, 0.99), 1),
        "first_drafts_seen": len(first_drafts),
        "to_model_p50_s": round(percentile(to_model, 0.5), 3),
        "to_model_max_s": round(max(to_model, default=0.0), 3),
        "model_peak_in_flight": llm.peak_in_flight,
    }


async def started_at(database_url: str, accepted: dict[str, float]) -> dict[str, float]:
    """Task id -> when the worker's begin started it (its first `started_at`, epoch)."""
    connection = await asyncpg.connect(database_url)
    try:
        rows = await connection.fetch(
            "SELECT id, extract(epoch FROM started_at) AS at FROM async_tasks WHERE id = ANY($1)",
            [uuid.UUID(task) for task in accepted],
        )
    finally:
        await connection.close()
    return {str(row["id"]): float(row["at"]) for row in rows if row["at"] is not None}


def split(
    llm: FakeLLMServer,
    accepted: dict[str, float],
    started: dict[str, float],
    owners: dict[str, str],
    answered: tuple[dict[str, float], float],
) -> dict[str, float]:
    """The 202 -> model call's two parts: to the begin (the relay, the broker, the consumer and
    the begin's wait) and from it to the model (the worker's preparation and the HTTP call);
    and the answer's: from the model's last chunk (its call's arrival + D) to COMPLETED."""
    arrived: dict[str, float] = {}
    for seen, at in zip(llm.requests, llm.arrivals, strict=False):
        sid = _sid_in(seen.prompt)
        if sid:
            arrived.setdefault(sid, at)
    begun = [started[t] - at for t, at in accepted.items() if t in started]
    prepared = [arrived[owners[t]] - s for t, s in started.items() if owners.get(t) in arrived]
    done, d = answered
    answers = [at - arrived[owners[t]] - d for t, at in done.items() if owners.get(t) in arrived]
    return {
        "to_begin_p50_s": round(percentile(begun, 0.5), 3),
        "to_begin_max_s": round(max(begun, default=0.0), 3),
        "begin_to_model_p50_s": round(percentile(prepared, 0.5), 3),
        "begin_to_model_max_s": round(max(prepared, default=0.0), 3),
        "answer_p50_s": round(percentile(answers, 0.5), 3),
        "answer_max_s": round(max(answers, default=0.0), 3),
    }


def _sid_in(prompt: str) -> str | None:
    """The session id the request carried as its user input (a UUID in the prompt)."""
    match = SID.search(prompt)
    return match.group(0) if match else None


async def warm_up(port: int, headers: dict[str, str], url: str) -> None:
    """One request answered: the worker has joined its group and everything is connected."""
    [sid] = (await create_sessions(port, headers, 1, 1))[:1]
    accepted = await ask_all(port, headers, [sid])
    await finished(url, accepted, 90)


def main() -> None:
    plan = [(int(a), float(b)) for a, b in (arg.split(":") for arg in sys.argv[1:])]
    if not plan:
        plan = [(50, 1.0)] if os.environ.get("BENCH_QUICK") else [(200, 2.0), (1000, 5.0)]
    workers = int(os.environ.get("BENCH_AGENT_WORKERS", "1"))
    bound = max(256, math.ceil(max(n for n, _ in plan) / workers) + 16)
    user = bench_user()
    secret, headers = user.secret, user.headers
    results = []
    with services() as (database_url, servers), ExitStack() as stack:
        llm = stack.enter_context(FakeLLMServer())
        env = system_env(
            database_url,
            servers,
            secret,
            LLM_PROVIDER="openai",
            LLM_BASE_URL=llm.base_url,
            LLM_MODEL=FakeLLMServer.MODEL,
            LLM_TIMEOUT_SECONDS="120",
            WORKER_MAX_IN_FLIGHT=str(bound),
            LLM_MAX_CONCURRENCY=str(bound),
        )
        # One bench user stands for every writer: the per-user stream cap (issue 21) is for one
        # hostile user, not for a benchmark's 50 followers. The API process reads os.environ.
        os.environ.setdefault("STREAM_MAX_PER_USER", "100000")
        os.environ.setdefault("API_METRICS_PORT", "0")
        processes = Processes()
        processes.add("bench", os.getpid())  # the clients and the fake model (not counted)
        processes.add("relay", stack.enter_context(background("relay", env)))
        profile = os.environ.get("BENCH_PROFILE_WORKER")  # a path: pyinstrument's report
        for n in range(workers):
            worker = stack.enter_context(background("worker", env, profile if n == 0 else None))
            processes.add(f"worker{n or ''}", worker)
        port, api = stack.enter_context(api_process(database_url, servers, secret, None))
        processes.add("api", api)
        uvloop.run(warm_up(port, headers, database_url))
        for n, d in plan:
            run = scenario(port, headers, database_url, llm, n, d, processes)
            results.append(uvloop.run(run))
    for r in results:
        print(
            f"N={r['n']} D={r['d']:g} s: 202 -> COMPLETED p50 {r['p50_s']:.2f} p99 "
            f"{r['p99_s']:.2f} max {r['max_s']:.2f} s; first draft p50 "
            f"{r['first_draft_p50_ms']:.0f} p99 {r['first_draft_p99_ms']:.0f} ms "
            f"({r['first_drafts_seen']} writers followed); model calls at the peak "
            f"{r['model_peak_in_flight']}; {r['completed']}/{r['n']} completed; 202 -> model "
            f"call p50 {r['to_model_p50_s']:.2f} max {r['to_model_max_s']:.2f} s (202 -> begun "
            f"p50 {r['to_begin_p50_s']:.2f} max {r['to_begin_max_s']:.2f} s, begun -> model call "
            f"p50 {r['begin_to_model_p50_s']:.2f} max {r['begin_to_model_max_s']:.2f} s); the "
            f"model's end -> COMPLETED p50 {r['answer_p50_s']:.2f} max {r['answer_max_s']:.2f} s"
        )
        print(r["report"])
    print(
        json.dumps({"bench": "agents", "workers": workers, "in_flight": bound, "results": results})
    )


if __name__ == "__main__":
    main()
