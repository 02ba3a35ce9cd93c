"""The write limit of this machine on the project's schema: one genesis command's writes (inbox
insert + event insert + outbox insert + snapshot update) as ONE statement, 16 clients, no NOTIFY.

Measured with pgbench when it is installed (PATH, /usr/lib/postgresql/*/bin, the embedded
server's bin dir), else with asyncpg tasks issuing the same statement. Every command figure of
`make bench` is printed as a ratio to this one (bench/suite.py).

Usage: python bench/limit.py [--notify]   (BENCH_LIMIT_SECONDS, BENCH_LIMIT_CLIENTS;
DATABASE_URL to use a real server, else an embedded one). --notify adds pg_notify to every
statement (what NOTIFY inside each command transaction costs).
"""

import argparse
import asyncio
import glob
import json
import os
import random
import re
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import asyncpg
import uvloop

#: Sessions the statements spread over (row-lock collisions between 16 clients are rare).
SESSIONS = 10_000
USER_ID = "00000000-0000-4000-8000-00000000beef"
#: An envelope about the size of a real genesis event's (~600 bytes of JSON).
ENVELOPE = json.dumps(
    {
        "event_type": "Genesis.Session.StageConfirmed",
        "event_version": 1,
        "aggregate_type": "GENESIS_SESSION",
        "payload": {"stage": "WORLDVIEW", "data": {"title": "Bench"}},
        "metadata": {"user_id": USER_ID, "source_service": "api", "request_id": "x" * 32},
        "occurred_at": "2026-01-01T00:00:00+00:00",
        "padding": "p" * 240,
    }
)

#: $1: the session number. The snapshot update returns the new version the event takes.
STATEMENT = f"""
WITH s AS (
    UPDATE genesis_sessions SET version = version + 1, current_stage = 'WORLDVIEW',
        confirmed_data = '{{"title": "Bench"}}', pending_command_type = NULL
    WHERE id = ('00000000-0000-4000-8000-' || lpad($1::text, 12, '0'))::uuid
    RETURNING id, user_id, version
), c AS (
    INSERT INTO command_inbox (id, session_id, user_id, command_type, idempotency_key,
                               correlation_id, payload, status)
    SELECT gen_random_uuid(), s.id, s.user_id, 'ConfirmStage', 'command:' || gen_random_uuid(),
           NULL, '{{"stage": "WORLDVIEW", "data": {{"title": "Bench"}}}}', 'COMPLETED' FROM s
    RETURNING id
), e AS (
    INSERT INTO domain_events (event_id, correlation_id, causation_id, event_type,
        aggregate_type, aggregate_id, aggregate_version, payload, metadata)
    SELECT gen_random_uuid(), c.id, c.id, 'Genesis.Session.StageConfirmed', 'GENESIS_SESSION',
           s.id::text, s.version, '{{"stage": "WORLDVIEW"}}', '{{"source_service": "api"}}'
    FROM s, c
    RETURNING event_id, aggregate_id
), o AS (
    INSERT INTO event_outbox (event_id, topic, key, payload)
    SELECT e.event_id, 'domain-events', e.aggregate_id, '{ENVELOPE}'::jsonb FROM e
    RETURNING 1
)
SELECT count(*) FROM o
"""

NOTIFY_STATEMENT = STATEMENT.replace(
    "SELECT count(*) FROM o", "SELECT count(*), pg_notify('event_outbox_pending', '') FROM o"
)


async def seed(url: str) -> None:
    """The sessions, version 0, owned by one user (idempotent)."""
    connection = await asyncpg.connect(url)
    try:
        await connection.execute(
            "INSERT INTO genesis_sessions (id, user_id, version) "
            "SELECT ('00000000-0000-4000-8000-' || lpad(n::text, 12, '0'))::uuid, $1, 0 "
            "FROM generate_series(1, $2) n ON CONFLICT DO NOTHING",
            USER_ID,
            SESSIONS,
        )
    finally:
        await connection.close()


def find_pgbench() -> str | None:
    """pgbench on PATH, in a server's bin dir, or beside the embedded server's binaries."""
    candidates = [shutil.which("pgbench") or ""]
    candidates += sorted(glob.glob("/usr/lib/postgresql/*/bin/pgbench"), reverse=True)
    try:
        import pgserver  # type: ignore[import-untyped]

        candidates += glob.glob(str(Path(pgserver.__file__).parent / "pginstall/bin/pgbench"))
    except ImportError:
        pass
    return next((c for c in candidates if c and os.access(c, os.X_OK)), None)


def pgbench_tps(pgbench: str, url: str, clients: int, seconds: float, notify: bool) -> float:
    """pgbench -M prepared with the statement as a custom script; its tps (no initial conn)."""
    body = (NOTIFY_STATEMENT if notify else STATEMENT).replace("$1", ":n")
    script = f"\\set n random(1, {SESSIONS})\n" + " ".join(body.split()) + ";\n"
    with tempfile.NamedTemporaryFile("w", suffix=".sql", delete=False) as handle:
        handle.write(script)
    try:
        duration = str(max(1, round(seconds)))
        options = ["-n", "-M", "prepared", "-c", str(clients), "-j", "2", "-T", duration]
        result = subprocess.run(
            [pgbench, *options, "-f", handle.name, url],
            capture_output=True,
            text=True,
            check=True,
        )
    finally:
        os.unlink(handle.name)
    match = re.search(r"tps = ([\d.]+)", result.stdout)
    if match is None:
        raise RuntimeError(f"pgbench printed no tps:\n{result.stdout}\n{result.stderr}")
    return float(match.group(1))


async def asyncpg_tps(url: str, clients: int, seconds: float, notify: bool) -> float:
    """The same statement from `clients` asyncpg connections (when pgbench is missing)."""
    statement = NOTIFY_STATEMENT if notify else STATEMENT
    connections = [await asyncpg.connect(url) for _ in range(clients)]
    done = 0

    async def client(connection: asyncpg.Connection, end: float) -> None:
        nonlocal done
        prepared = await connection.prepare(statement)
        while time.perf_counter() < end:
            await prepared.fetch(random.randint(1, SESSIONS))
            done += 1

    try:
        began = time.perf_counter()
        await asyncio.gather(*(client(c, began + seconds) for c in connections))
        return done / (time.perf_counter() - began)
    finally:
        for connection in connections:
            await connection.close()


def measure(url: str, *, clients: int = 16, seconds: float = 10, notify: bool = False) -> dict:
    """The limit on the database at `url` (migrated): tps and which tool measured it."""
    uvloop.run(seed(url))
    pgbench = find_pgbench()
    if pgbench is not None:
        tps = pgbench_tps(pgbench, url, clients, seconds, notify)
        tool = "pgbench"
    else:
        tps = uvloop.run(asyncpg_tps(url, clients, seconds, notify))
        tool = "asyncpg"
    return {"tps": tps, "tool": tool, "clients": clients, "notify": notify}


def main() -> None:
    from _services import fresh_database

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--notify", action="store_true", help="pg_notify in every statement")
    args = parser.parse_args()
    seconds = float(os.environ.get("BENCH_LIMIT_SECONDS", "10"))
    clients = int(os.environ.get("BENCH_LIMIT_CLIENTS", "16"))
    with fresh_database() as url:
        result = measure(url, clients=clients, seconds=seconds, notify=args.notify)
    print(
        f"limit:   {result['tps']:,.0f} tps, one statement per command ({result['tool']}, "
        f"{clients} clients, {'with' if args.notify else 'no'} NOTIFY; load average "
        f"{os.getloadavg()[0]:.1f})"
    )
    print(json.dumps({"bench": "limit", **result}))


if __name__ == "__main__":
    main()
