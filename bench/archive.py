"""Years of novels (issue 51): what a writer does today must not pay for what others wrote years
ago. In one run, alternated (empty, loaded, loaded, empty):

- the commands bench (bench/commands.py's closed loop through `scribe api`) and
- the relay's drain (bench/relay.py's, BENCH_ROWS events through one relay process)

on an empty database and on one holding BENCH_EVENTS (10,000,000) events of which 99% are
archived, after a warm-up round on each (BENCH_ROUNDS rounds each, default 4); then, on the
loaded one, the p99 of an archived session's state and history reads (BENCH_SESSIONS real
sessions, walked through the API and archived); and migration 0033 timed on a database of
BENCH_MIGRATION_EVENTS (1,000,000) events.

The archive is seeded the fast way: the archived partition is detached, filled by one
INSERT ... SELECT without indexes, and attached again (PostgreSQL builds its indexes once).

Usage: python bench/archive.py (BENCH_SECONDS 15, BENCH_CLIENTS 32; DATABASE_URL /
KAFKA_BOOTSTRAP_SERVERS to use running services, else embedded ones).
"""

import asyncio
import json
import os
import secrets
import statistics
import time
import uuid
from contextlib import ExitStack
from typing import Any

import asyncpg
import httpx
import uvloop

from _harness import HOST, api_process, percentile
from _services import broker, fresh_database, outbox_mode, system_outbox_mode
from commands import measured_run
from infinite_scribe.api.auth import create_access_token
from infinite_scribe.application.archive import ArchiveService
from infinite_scribe.embedded.kafka import free_port
from infinite_scribe.kafka.admin import ensure_topic
from infinite_scribe.persistence import migrate
from infinite_scribe.persistence.database import asyncpg_dsn, create_pool
from infinite_scribe.persistence.repositories import unit_of_work
from infinite_scribe.persistence.writes.composer import WriteComposer
from infinite_scribe.settings.settings import Settings
from relay import PARTITIONS, drain, envelope, start_relay

EVENTS = int(os.environ.get("BENCH_EVENTS", "10000000"))
MIGRATION_EVENTS = int(os.environ.get("BENCH_MIGRATION_EVENTS", "1000000"))
SECONDS = float(os.environ.get("BENCH_SECONDS", "15"))
CLIENTS = int(os.environ.get("BENCH_CLIENTS", "32"))
ROWS = int(os.environ.get("BENCH_ROWS", "200000"))
#: Rounds per database, in the order empty, loaded, loaded, empty (repeated).
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "4"))
SESSIONS = int(os.environ.get("BENCH_SESSIONS", "100"))
BEFORE = "0032_novel_status"

_COLUMNS = "event_type, aggregate_type, aggregate_id, aggregate_version, payload, created_at"


def _insert(table: str, archived: bool | None) -> str:
    """Fifty events a stream ($1 || n), rows $2 to $3: a third of them proposals (the
    history's partial indexes hold them). `archived` None: the table has no such column."""
    flag = "" if archived is None else f", {str(archived).lower()}"
    columns = _COLUMNS + ("" if archived is None else ", archived")
    return f"""
INSERT INTO {table} ({columns})
SELECT 'Genesis.Session.' || (ARRAY['StageContent.Proposed', 'FeedbackSubmitted',
       'StageConfirmed'])[1 + g % 3], 'GENESIS_SESSION', $1 || (g / 50), g % 50 + 1,
       jsonb_build_object('stage', 'WORLDVIEW', 'content', jsonb_build_object('text',
       'the tide keeps what the town forgets ' || g)), now(){flag}
FROM generate_series($2::bigint, $3::bigint - 1) AS g
"""


async def seed(url: str, events: int) -> float:
    """`events` events, 99% in the archived partition; returns the seconds it took."""
    archived = events * 99 // 100
    started = time.perf_counter()
    connection = await asyncpg.connect(asyncpg_dsn(url))
    try:
        await connection.execute("SET maintenance_work_mem = '512MB'")
        await connection.execute(
            "ALTER TABLE domain_events DETACH PARTITION domain_events_archived"
        )
        await connection.execute("DROP TABLE domain_events_archived")
        await connection.execute(
            "CREATE TABLE domain_events_archived (LIKE domain_events INCLUDING DEFAULTS "
            "INCLUDING CONSTRAINTS, CHECK (archived))"
        )
        await connection.execute(_insert("domain_events_archived", True), "a-", 0, archived)
        await connection.execute(
            "ALTER TABLE domain_events ATTACH PARTITION domain_events_archived FOR VALUES IN (true)"
        )
        await connection.execute(_insert("domain_events", False), "h-", archived, events)
        await connection.execute("VACUUM ANALYZE domain_events")
        # The load's dirty pages written now, not by a checkpoint during the measured rounds.
        await connection.execute("CHECKPOINT")
    finally:
        await connection.close()
    return time.perf_counter() - started


async def commands_round(url: str, servers: str, secret: str) -> dict[str, float]:
    token = create_access_token(Settings(jwt_secret_key=secret), uuid.uuid4())  # type: ignore[arg-type]
    with api_process(url, servers, secret, None) as (port, pid):
        stats, elapsed, _ = await measured_run(port, pid, url, token, CLIENTS, SECONDS)
    ok = stats.statuses[200] + stats.statuses[202]
    return {"per_s": ok / elapsed, "p99_ms": percentile(stats.latencies, 0.99) * 1000}


def drain_round(url: str, servers: str) -> float:
    topic = f"bench-archive-{uuid.uuid4().hex[:6]}"
    ensure_topic(servers, topic, PARTITIONS)
    keys = [str(uuid.uuid4()) for _ in range(1000)]
    envelopes = [envelope(keys[i % 1000], i // 1000) for i in range(ROWS)]
    port = free_port()
    relay = start_relay(url, servers, port)
    try:
        elapsed = asyncio.run(drain(url, topic, envelopes, [port], "table"))
    finally:
        relay.terminate()
        relay.wait(15)
    return ROWS / elapsed


async def archived_reads(url: str, servers: str, secret: str) -> dict[str, float]:
    """p50/p99 of GET state and GET history of archived sessions (walked, then archived)."""
    user = uuid.uuid4()
    token = create_access_token(Settings(jwt_secret_key=secret), user)  # type: ignore[arg-type]
    headers = {"Authorization": f"Bearer {token}"}
    with api_process(url, servers, secret, None) as (port, _):
        async with httpx.AsyncClient(base_url=f"http://{HOST}:{port}", headers=headers) as http:
            sessions = [await walked_session(http) for _ in range(SESSIONS)]
            pool = await create_pool(url, min_size=1, max_size=2)
            try:
                archive = ArchiveService(unit_of_work(pool, WriteComposer("domain-events")))
                for session_id in sessions:
                    await archive.archive(uuid.UUID(session_id))
            finally:
                await pool.close()
            timings: dict[str, list[float]] = {"state": [], "history": []}
            for _ in range(5):
                for session_id in sessions:
                    for name in timings:
                        started = time.perf_counter()
                        response = await http.get(f"/api/v1/genesis/sessions/{session_id}/{name}")
                        timings[name].append(time.perf_counter() - started)
                        assert response.status_code == 200, response.text
    return {
        f"{name}_{q}_ms": percentile(values, level) * 1000
        for name, values in timings.items()
        for q, level in (("p50", 0.5), ("p99", 0.99))
    }


async def walked_session(http: httpx.AsyncClient) -> str:
    created = await http.post("/api/v1/genesis/sessions", json={})
    session_id: str = created.json()["session_id"]
    for stage in (
        "CONCEPT_SELECTION",
        "STORY_CONCEPTION",
        "WORLDVIEW",
        "CHARACTERS",
        "PLOT_OUTLINE",
    ):
        body = {"command_type": "ConfirmStage", "payload": {"stage": stage, "data": {"title": "B"}}}
        reply = await http.post(f"/api/v1/genesis/sessions/{session_id}/commands", json=body)
        assert reply.status_code == 200, reply.text
    return session_id


def migration_seconds(events: int) -> float:
    """Migration 0033 on a database of `events` events at the revision before it."""
    with fresh_database() as url:
        migrate.downgrade(url, BEFORE)

        async def fill() -> None:
            connection = await asyncpg.connect(asyncpg_dsn(url))
            try:
                await connection.execute(_insert("domain_events", None), "m-", 0, events)
                await connection.execute("VACUUM ANALYZE domain_events")
            finally:
                await connection.close()

        asyncio.run(fill())
        started = time.perf_counter()
        migrate.upgrade(url)
        return time.perf_counter() - started


def main() -> None:
    secret = secrets.token_urlsafe(48)
    mode = system_outbox_mode()
    with ExitStack() as stack:
        servers = stack.enter_context(broker())
        empty = stack.enter_context(fresh_database())
        loaded = stack.enter_context(fresh_database())
        for url in (empty, loaded):
            stack.enter_context(outbox_mode(url, mode))
        print(f"seeding {EVENTS:,} events (99% archived)...", flush=True)
        seeded = asyncio.run(seed(loaded, EVENTS))
        print(f"  seeded in {seeded:.0f} s", flush=True)
        figures: dict[str, dict[str, list[Any]]] = {
            "empty": {"commands": [], "drain": []},
            "loaded": {"commands": [], "drain": []},
        }
        for url in (empty, loaded):  # warm-up, not counted: first start, first topic, caches
            uvloop.run(commands_round(url, servers, secret))
            drain_round(url, servers)
        order = [("empty", empty), ("loaded", loaded), ("loaded", loaded), ("empty", empty)]
        for name, url in (order * ROUNDS)[: 2 * ROUNDS]:
            commands = uvloop.run(commands_round(url, servers, secret))
            drained = drain_round(url, servers)
            figures[name]["commands"].append(commands)
            figures[name]["drain"].append(drained)
            print(
                f"  {name}: {commands['per_s']:.0f} commands/s (p99 {commands['p99_ms']:.0f} ms), "
                f"relay drain {drained:,.0f} events/s",
                flush=True,
            )
        reads = uvloop.run(archived_reads(loaded, servers, secret))
    migrated = migration_seconds(MIGRATION_EVENTS)
    report(figures, reads, migrated, seeded)


def report(
    figures: dict[str, dict[str, list[Any]]],
    reads: dict[str, float],
    migrated: float,
    seeded: float,
) -> None:
    def mean(name: str, kind: str, key: str | None = None) -> float:
        values = figures[name][kind]
        return statistics.fmean(v[key] if key else v for v in values)

    commands = {n: mean(n, "commands", "per_s") for n in figures}
    p99 = {n: mean(n, "commands", "p99_ms") for n in figures}
    drains = {n: mean(n, "drain") for n in figures}
    print(
        f"commands/s: empty {commands['empty']:.0f}, {EVENTS:,} events (99% archived) "
        f"{commands['loaded']:.0f} -> ratio {commands['loaded'] / commands['empty']:.3f} "
        f"(target >= 0.90); p99 {p99['empty']:.0f} / {p99['loaded']:.0f} ms"
    )
    print(
        f"relay drain: empty {drains['empty']:,.0f}, loaded {drains['loaded']:,.0f} events/s "
        f"-> ratio {drains['loaded'] / drains['empty']:.3f} (target >= 0.90)"
    )
    print(
        f"archived session reads ({SESSIONS} sessions x 5): state p50 {reads['state_p50_ms']:.1f} "
        f"p99 {reads['state_p99_ms']:.1f} ms, history p50 {reads['history_p50_ms']:.1f} p99 "
        f"{reads['history_p99_ms']:.1f} ms (target p99 <= 50)"
    )
    print(f"migration 0033 on {MIGRATION_EVENTS:,} events: {migrated:.1f} s (target <= 60)")
    result = {
        "bench": "archive",
        "events": EVENTS,
        "seed_s": round(seeded, 1),
        "commands_per_s": {k: round(v, 1) for k, v in commands.items()},
        "commands_ratio": round(commands["loaded"] / commands["empty"], 3),
        "drain_per_s": {k: round(v, 1) for k, v in drains.items()},
        "drain_ratio": round(drains["loaded"] / drains["empty"], 3),
        **{k: round(v, 2) for k, v in reads.items()},
        "migration_s": round(migrated, 1),
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
