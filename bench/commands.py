"""Command API throughput: `scribe api` (uvicorn, INFO logs, no access log) driven by 32
keep-alive HTTP clients with a RequestConceptGeneration/ConfirmStage mix on many sessions,
then the same SQL issued directly with asyncpg at the same concurrency (the raw reference)
and bench/limit.py's one-statement limit on the same database (target: commands/s >= 0.25 of it,
issue 40).
CPU per command of the API (user and system) and of PostgreSQL's backends is counted over the
command phase only.

In the same run, paired short rounds with and without a fresh X-Idempotency-Key on every request
(order alternated) measure the idempotency middleware's cost (target at most 10% fewer
commands/s); --no-keyed-run skips them.

Usage: python bench/commands.py [--no-keyed-run] [--profile FILE]
(BENCH_SECONDS, BENCH_CLIENTS, BENCH_LIMIT_SECONDS, BENCH_LIMIT_TPS to skip the limit run;
DATABASE_URL / KAFKA_BOOTSTRAP_SERVERS to use real services).
"""

import argparse
import asyncio
import json
import os
import secrets
import time
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import uvloop

from _commands_http import KeepAliveClient
from _commands_raw import raw_sql_tps
from _harness import HOST, api_process, cpu_seconds, cpu_times, percentile, services
from infinite_scribe.api.auth import create_access_token
from infinite_scribe.settings.settings import Settings

STAGES = ("CONCEPT_SELECTION", "STORY_CONCEPTION", "WORLDVIEW", "CHARACTERS", "PLOT_OUTLINE")
#: One session's walk: request concepts, then confirm each of the five stages (1:5 mix).
STEPS: list[bytes] = [
    json.dumps({"command_type": "RequestConceptGeneration", "payload": {}}).encode(),
    *(
        json.dumps(
            {"command_type": "ConfirmStage", "payload": {"stage": s, "data": {"title": "Bench"}}}
        ).encode()
        for s in STAGES
    ),
]


@dataclass
class Stats:
    latencies: list[float] = field(default_factory=list)
    statuses: Counter[int] = field(default_factory=Counter)
    sessions_created: int = 0


async def create_sessions(
    port: int, headers: dict[str, str], count: int, clients: int
) -> list[str]:
    created: list[str] = []

    async def worker(share: int) -> None:
        client = KeepAliveClient(HOST, port, headers)
        for _ in range(share):
            status, body = await client.request("POST", "/api/v1/genesis/sessions", b"{}")
            assert status == 201, body
            created.append(json.loads(body)["session_id"])
        await client.close()

    await asyncio.gather(*(worker(count // clients + 1) for _ in range(clients)))
    return created


async def drive_api(
    port: int,
    token: str,
    clients: int,
    seconds: float,
    idempotency_keys: bool,
    on_start: Callable[[], Awaitable[None]] | None = None,
) -> tuple[Stats, float]:
    """`clients` closed loops of commands for `seconds`; the sessions they walk are opened
    first, and `on_start` runs between the two (the CPU figures count commands only)."""
    headers = {"Authorization": f"Bearer {token}"}
    # Enough sessions for ~3,000 commands/s; clients open more if they run out.
    sessions = await create_sessions(port, headers, int(seconds * 3000 / len(STEPS)), clients)
    stats = Stats()
    if on_start is not None:
        await on_start()

    async def client_loop(end: float) -> None:
        client = KeepAliveClient(HOST, port, headers)
        while time.perf_counter() < end:
            if sessions:
                session_id = sessions.pop()
            else:
                session_id = (await create_sessions(port, headers, 1, 1))[0]
                stats.sessions_created += 1
            path = f"/api/v1/genesis/sessions/{session_id}/commands"
            for body in STEPS:
                if time.perf_counter() >= end:
                    break
                extra = f"X-Idempotency-Key: {uuid.uuid4()}\r\n" if idempotency_keys else ""
                started = time.perf_counter()
                status, _ = await client.request("POST", path, body, extra)
                stats.latencies.append(time.perf_counter() - started)
                stats.statuses[status] += 1
        await client.close()

    began = time.perf_counter()
    await asyncio.gather(*(client_loop(began + seconds) for _ in range(clients)))
    return stats, time.perf_counter() - began


PAIRS = int(os.environ.get("BENCH_PAIRS", "4"))
PAIR_SECONDS = float(os.environ.get("BENCH_PAIR_SECONDS", "5"))


async def paired_rounds(port: int, token: str, clients: int) -> tuple[Stats, float, float]:
    """Keys on vs off in alternating short rounds, so neither side always runs on the bigger
    database or the warmer caches; returns the keyed stats and both commands/s."""
    keyed_stats = Stats()
    totals = {True: [0, 0.0], False: [0, 0.0]}
    for pair in range(PAIRS):
        for keyed in (False, True) if pair % 2 == 0 else (True, False):
            stats, elapsed = await drive_api(port, token, clients, PAIR_SECONDS, keyed)
            totals[keyed][0] += stats.statuses[200] + stats.statuses[202]
            totals[keyed][1] += elapsed
            if keyed:
                keyed_stats.latencies += stats.latencies
                keyed_stats.statuses.update(stats.statuses)
    keyed_rate = totals[True][0] / totals[True][1]
    plain_rate = totals[False][0] / totals[False][1]
    return keyed_stats, keyed_rate, plain_rate


async def backend_cpu(database_url: str) -> dict[int, float]:
    """CPU seconds so far of every PostgreSQL backend on the run's database (pid -> seconds),
    read from /proc: the database's cost per command, beside the API's (issue 27). Empty when
    the server is not on this machine or its processes cannot be read."""
    import asyncpg

    connection = await asyncpg.connect(database_url)
    try:
        pids = await connection.fetch(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
            "AND pid <> pg_backend_pid()"
        )
    finally:
        await connection.close()
    found: dict[int, float] = {}
    for row in pids:
        try:
            found[row["pid"]] = cpu_seconds(row["pid"])
        except (OSError, IndexError, ValueError):
            continue
    return found


@dataclass
class Cpu:
    """CPU seconds spent during the command phase: the API (user, system), PostgreSQL's
    backends of the run's database, and this load generator."""

    api_user: float = 0.0
    api_system: float = 0.0
    postgres: float = 0.0
    load_generator: float = 0.0


async def measured_run(
    port: int, pid: int, database_url: str, token: str, clients: int, seconds: float
) -> tuple[Stats, float, Cpu]:
    """The closed-loop run, with the CPU of each process counted over its command phase only
    (the sessions it walks are opened before the counters start)."""
    marks: dict[str, Any] = {}

    async def start() -> None:
        marks["api"] = cpu_times(pid)
        marks["own"] = time.process_time()
        marks["pg"] = await backend_cpu(database_url)

    stats, elapsed = await drive_api(port, token, clients, seconds, False, start)
    user, system = cpu_times(pid)
    own = time.process_time() - marks["own"]
    pg_after = await backend_cpu(database_url)
    # Backends the API opened during the run count from zero.
    pg = sum(cpu - marks["pg"].get(backend, 0.0) for backend, cpu in pg_after.items())
    return stats, elapsed, Cpu(user - marks["api"][0], system - marks["api"][1], pg, own)


def one_statement_limit(database_url: str) -> float:
    """bench/limit.py's figure on this run's database (BENCH_LIMIT_TPS when given)."""
    given = float(os.environ.get("BENCH_LIMIT_TPS", "0"))
    if given:
        return given
    from limit import measure

    seconds = float(os.environ.get("BENCH_LIMIT_SECONDS", "10"))
    return float(measure(database_url, seconds=seconds)["tps"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument(
        "--no-keyed-run", action="store_true", help="skip the pass with a fresh key per request"
    )
    parser.add_argument("--profile", help="write a pyinstrument text profile of the API here")
    args = parser.parse_args()
    seconds = float(os.environ.get("BENCH_SECONDS", "30"))
    clients = int(os.environ.get("BENCH_CLIENTS", "32"))
    secret = secrets.token_urlsafe(48)
    token = create_access_token(Settings(jwt_secret_key=secret), uuid.uuid4())  # type: ignore[arg-type]

    with services() as (database_url, servers):
        with api_process(database_url, servers, secret, args.profile) as (port, pid):
            stats, elapsed, cpu = uvloop.run(
                measured_run(port, pid, database_url, token, clients, seconds)
            )
            keyed: tuple[Stats, float, float] | None = None
            if not args.no_keyed_run:
                keyed = uvloop.run(paired_rounds(port, token, clients))
        raw_tps, raw_count = uvloop.run(raw_sql_tps(database_url, clients, seconds))
        limit = one_statement_limit(database_url)
    report(stats, elapsed, cpu, clients, (raw_tps, raw_count), limit, keyed)


def report(
    stats: Stats,
    elapsed: float,
    cpu: Cpu,
    clients: int,
    raw: tuple[float, int],
    limit: float,
    keyed: tuple[Stats, float, float] | None,
) -> None:
    raw_tps, raw_count = raw
    ok = stats.statuses[200] + stats.statuses[202]
    commands_per_s = ok / elapsed
    p50 = percentile(stats.latencies, 0.50) * 1000
    p99 = percentile(stats.latencies, 0.99) * 1000
    print(
        f"API:     {ok} commands in {elapsed:.1f} s with {clients} clients -> "
        f"{commands_per_s:.0f} commands/s, p50 {p50:.1f} ms, p99 {p99:.1f} ms"
    )
    print(
        f"         statuses {dict(stats.statuses)}, sessions opened mid-run "
        f"{stats.sessions_created}, no idempotency keys"
    )
    requests = max(ok + stats.sessions_created, 1)
    api_ms = (cpu.api_user + cpu.api_system) * 1000 / requests
    print(
        f"CPU per command: API {api_ms:.2f} ms (user {cpu.api_user * 1000 / requests:.2f}, "
        f"system {cpu.api_system * 1000 / requests:.2f}; target <= 0.5), PostgreSQL "
        f"{cpu.postgres * 1000 / requests:.2f} ms, load generator "
        f"{cpu.load_generator * 1000 / requests:.2f} ms (load average "
        f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} cores)"
    )
    print(f"raw SQL: {raw_count} transactions -> {raw_tps:.0f} tps (asyncpg, {clients} tasks)")
    ratio = commands_per_s / raw_tps if raw_tps else 0.0
    extra: dict[str, float] = {}
    if keyed is not None:
        keyed_stats, keyed_per_s, plain_per_s = keyed
        drop = 1 - keyed_per_s / plain_per_s if plain_per_s else 0.0
        print(
            f"keyed:   paired rounds ({PAIRS} x {PAIR_SECONDS:.0f} s each way, order alternated): "
            f"{plain_per_s:.0f} commands/s without keys vs {keyed_per_s:.0f} with a fresh "
            f"X-Idempotency-Key each (p99 {percentile(keyed_stats.latencies, 0.99) * 1000:.1f} ms,"
            f" statuses {dict(keyed_stats.statuses)}); {drop:.1%} fewer (target <= 10%)"
        )
        extra = {"keyed_commands_per_s": round(keyed_per_s, 1), "keyed_drop": round(drop, 3)}
    print(f"ratio:   {ratio:.2f} of the raw SQL transaction from asyncpg")
    print(
        f"limit:   {commands_per_s / limit:.2f} of the one-statement limit {limit:,.0f} tps "
        "(bench/limit.py on this run's database; target >= 0.25)"
    )
    print(
        json.dumps(
            {
                "bench": "commands",
                "commands_per_s": round(commands_per_s, 1),
                "p50_ms": round(p50, 2),
                "p99_ms": round(p99, 2),
                "raw_sql_tps": round(raw_tps, 1),
                "ratio": round(ratio, 3),
                "limit_tps": round(limit, 1),
                "limit_ratio": round(commands_per_s / limit, 3),
                "api_cpu_ms_per_command": round(api_ms, 3),
                "pg_cpu_ms_per_command": round(cpu.postgres * 1000 / requests, 3),
                "load_average": round(os.getloadavg()[0], 1),
                **extra,
            }
        )
    )


if __name__ == "__main__":
    main()
