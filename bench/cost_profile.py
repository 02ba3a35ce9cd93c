"""Where a generation, a command and a relayed event spend their time (issue 80), in one run:
`scribe api`, `relay` and `worker` as processes on the embedded PostgreSQL and broker (logical
outbox, as `scribe up` gives a new database), the offline writer with drafts not paced.

Each measure runs in two windows of the same work, so that the statement log's own cost stays
out of the CPU figures:
- an unlogged window: CPU per unit of every process (PostgreSQL by client), WAL records,
  full-page images, bytes and syncs (pg_stat_wal, the LSN delta, pg_waldump's kinds), the
  relay's CPU per event by thread, and py-spy's on-CPU samples of the API, worker and relay;
- a logged window: every SQL statement with its count per unit and its server time
  (bench/_pg_window.py says why not pg_stat_statements).
Measures: a generation end to end (RequestConceptGeneration on a fresh session, from the
request to the proposal committed), and the command mix of bench/commands.py without and with a
fresh X-Idempotency-Key (their CPU windows alternate unkeyed, keyed, keyed, unkeyed). Counts
(statements, WAL records, samples) hold under load; CPU times do not: compare them within a run.

Usage: python bench/cost_profile.py   (BENCH_GENERATIONS 400, BENCH_CLIENTS 16,
BENCH_COMMAND_SECONDS 6 (0: no commands), BENCH_PROFILE_DIR for py-spy's raw files; prints
markdown tables and one JSON line)
"""

import asyncio
import os
import tempfile
import time
from collections.abc import Awaitable, Callable
from contextlib import AsyncExitStack, ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncpg

import _pyspy
from _commands_http import KeepAliveClient
from _generation_cost import Processes, cpu_per_unit
from _harness import HOST, api_port, background, bench_user, services, system_env, thread_cpu
from _pg_window import BENCH_APP, Window, prepare, window
from commands import create_sessions, drive_api
from worker import finished, send

CLIENTS = int(os.environ.get("BENCH_CLIENTS", "16"))
OUT = Path(os.environ.get("BENCH_PROFILE_DIR") or tempfile.mkdtemp(prefix="scribe-profile-"))
OUT.mkdir(parents=True, exist_ok=True)


def named(url: str, app: str) -> str:
    """The database URL with an application_name, so the server's log and activity say which
    process a statement or a backend serves."""
    return f"{url}{'&' if '?' in url else '?'}application_name={app}"


@dataclass
class Measure:
    """One measure's figures: units, CPU per unit by process, the server's windows, samples."""

    units: int = 0
    cpu: dict[str, float] = field(default_factory=dict)
    quiet: Window = field(default_factory=Window)
    logged: Window = field(default_factory=Window)
    logged_units: int = 0
    samples: dict[str, _pyspy.Samples] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class System:
    url: str
    port: int
    headers: dict[str, str]
    token: str
    processes: Processes


async def fresh_sessions(system: System, count: int) -> list[str]:
    return (await create_sessions(system.port, system.headers, count, CLIENTS))[:count]


async def generations(system: System, sessions: list[str]) -> int:
    """A generation on each of `sessions` through CLIENTS closed loops; waits for every
    proposal to be committed."""
    sent: dict[str, float] = {}

    async def loop() -> None:
        client = KeepAliveClient(HOST, system.port, system.headers)
        while sessions:
            session = sessions.pop()
            sent[await send(client, session)] = time.time()
        await client.close()

    await asyncio.gather(*(loop() for _ in range(CLIENTS)))
    await finished(named(system.url, BENCH_APP), sent, 300)
    return len(sent)


async def events_so_far(url: str) -> int:
    connection = await asyncpg.connect(named(url, BENCH_APP))
    try:
        return int(await connection.fetchval("SELECT count(*) FROM domain_events"))
    finally:
        await connection.close()


async def measured(
    system: System, run: Callable[[], Awaitable[int]], statements: bool, sample: bool
) -> tuple[int, Window, dict[str, float], dict[str, _pyspy.Samples]]:
    """One window of `run`: its units, the server's window, CPU per unit, py-spy samples."""
    samples: dict[str, _pyspy.Samples] = {}
    with ExitStack() as spies:
        if sample:
            for role in ("api", "worker", "relay"):
                out = OUT / f"{role}-{time.monotonic_ns()}.raw"
                pid = system.processes.pids[role]
                samples[role] = spies.enter_context(_pyspy.sampled(pid, out))
        before = system.processes.snapshot()
        async with window(system.url, statements) as found:
            units = await run()
        after = system.processes.snapshot()
    return units, found, cpu_per_unit(before, after, units), samples


async def generation_measure(system: System, count: int) -> Measure:
    found = Measure()
    relay = system.processes.pids["relay"]
    sessions = await fresh_sessions(system, count)  # opened outside the window
    await asyncio.sleep(1)  # their events relayed
    events, threads = await events_so_far(system.url), thread_cpu(relay)
    units, quiet, cpu, samples = await measured(
        system, lambda: generations(system, sessions), False, True
    )
    events = await events_so_far(system.url) - events
    after = thread_cpu(relay)
    found.extra["events_per_generation"] = round(events / units, 2)
    found.extra["relay_us_per_event_by_thread"] = {
        name: round((after[name] - threads.get(name, 0.0)) * 1e6 / events, 1) for name in after
    }
    found.units, found.quiet, found.cpu, found.samples = units, quiet, cpu, samples
    sessions = await fresh_sessions(system, count)
    found.logged_units, found.logged, _, _ = await measured(
        system, lambda: generations(system, sessions), True, False
    )
    return found


async def command_measures(system: System, seconds: float) -> dict[str, Measure]:
    """Unkeyed and keyed commands: CPU windows alternating (unkeyed, keyed, keyed, unkeyed),
    then one logged window each."""
    found = {"unkeyed": Measure(), "keyed": Measure()}
    for keyed in (False, True, True, False):
        measure = found["keyed" if keyed else "unkeyed"]
        first = not measure.units
        units, quiet, cpu, samples = await _commands(system, seconds, keyed, False, first)
        _add(measure, units, cpu)
        if first:
            measure.quiet, measure.samples = quiet, samples
    for keyed in (False, True):
        measure = found["keyed" if keyed else "unkeyed"]
        measure.logged_units, measure.logged, _, _ = await _commands(
            system, seconds, keyed, True, False
        )
    return found


def _add(measure: Measure, units: int, cpu: dict[str, float]) -> None:
    """A second window's CPU per unit averaged in, weighted by its units."""
    total = measure.units + units
    for role, ms in cpu.items():
        measure.cpu[role] = round(
            (measure.cpu.get(role, 0.0) * measure.units + ms * units) / total, 3
        )
    measure.units = total


async def _commands(
    system: System, seconds: float, keyed: bool, statements: bool, sample: bool
) -> tuple[int, Window, dict[str, float], dict[str, _pyspy.Samples]]:
    """`seconds` of bench/commands.py's mix; the window starts once its sessions are open."""
    marks: dict[str, Any] = {}
    spies = ExitStack()
    stack = AsyncExitStack()

    async def start() -> None:
        if sample:
            out = OUT / f"api-{'keyed' if keyed else 'unkeyed'}-{time.monotonic_ns()}.raw"
            marks["samples"] = spies.enter_context(
                _pyspy.sampled(system.processes.pids["api"], out)
            )
        marks["before"] = system.processes.snapshot()
        marks["window"] = await stack.enter_async_context(window(system.url, statements))

    stats, _ = await drive_api(system.port, system.token, CLIENTS, seconds, keyed, start)
    after = system.processes.snapshot()
    await stack.aclose()
    spies.close()
    units = stats.statuses[200] + stats.statuses[202]
    cpu = cpu_per_unit(marks["before"], after, units)
    samples = {"api": marks["samples"]} if sample else {}
    return units, marks["window"], cpu, samples


def main() -> None:
    from _cost_report import report

    user = bench_user()
    count = int(os.environ.get("BENCH_GENERATIONS", "400"))
    seconds = float(os.environ.get("BENCH_COMMAND_SECONDS", "6"))
    with services() as (url, servers), ExitStack() as stack:
        asyncio.run(prepare(url))
        # The offline writer answers at once (no paced drafts): the pipeline, not a model.
        env = system_env(url, servers, user.secret, LLM_OFFLINE_STREAM_SECONDS="0")
        processes = Processes()
        for role in ("relay", "worker"):
            named_env = env | {"DATABASE_URL": named(url, f"scribe-{role}")}
            processes.add(role, stack.enter_context(background(role, named_env)))
        port, api = stack.enter_context(api_port(env | {"DATABASE_URL": named(url, "scribe-api")}))
        processes.add("api", api)
        token = user.headers["Authorization"].removeprefix("Bearer ")
        system = System(url, port, user.headers, token, processes)
        time.sleep(5)  # the worker's consumer-group join
        asyncio.run(
            generations(system, asyncio.run(fresh_sessions(system, 60)))
        )  # warm-up: caches, prepared statements, JIT-free paths
        generation = asyncio.run(generation_measure(system, count))
        commands = asyncio.run(command_measures(system, seconds)) if seconds > 0 else {}
    print(f"py-spy raw files in {OUT}", flush=True)
    report({"generation": generation, **commands})


if __name__ == "__main__":
    main()
