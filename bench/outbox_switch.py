"""PostgreSQL CPU per write statement with the outbox switch's fence (decision 3500) against
the same statement reading an unfenced mode (what it cost before: a setting, no lock).

    .venv/bin/python bench/outbox_switch.py [--commands 3000] [--events 2] [--writers 4]

Each writer is one connection writing commands of `--events` events of its own key through the
write statement (persistence/writes). PostgreSQL CPU is its backends' user+system time
(/proc/<pid>/stat) over the run, divided by the commands written.
"""

import argparse
import asyncio
import time
import uuid

import asyncpg

from _harness import cpu_seconds
from _services import fresh_database
from infinite_scribe.application.ports.writes import Write
from infinite_scribe.persistence.database import create_pool
from infinite_scribe.persistence.writes.composer import WriteComposer
from shared_types import EventEnvelope

UNFENCED = """
CREATE OR REPLACE FUNCTION scribe_outbox_mode() RETURNS text LANGUAGE sql STABLE AS
$$ SELECT coalesce(current_setting('scribe.outbox_mode', true), 'table') $$
"""


def events(key: str, start: int, count: int) -> list[EventEnvelope]:
    return [
        EventEnvelope(
            event_type="Genesis.Session.FeedbackSubmitted",
            aggregate_type="GENESIS_SESSION",
            aggregate_id=key,
            aggregate_version=start + n + 1,
            payload={"seq": start + n, "text": "x" * 200},
        )
        for n in range(count)
    ]


async def run(url: str, commands: int, per_command: int, writers: int) -> tuple[float, float]:
    """PostgreSQL CPU (ms) per command, wall time (ms) per command."""
    composer = WriteComposer("bench-switch")
    pool = await create_pool(url, min_size=writers, max_size=writers)
    connections = [await pool.acquire() for _ in range(writers)]
    pids = [c.get_server_pid() for c in connections]

    async def write(connection: asyncpg.Connection, count: int) -> None:
        key = f"bench-{uuid.uuid4()}"
        for n in range(count):
            await composer.write(
                connection, Write(events=events(key, n * per_command, per_command))
            )

    await asyncio.gather(*(write(c, 50) for c in connections))  # warm: plans, caches
    before = sum(cpu_seconds(pid) for pid in pids)
    started = time.perf_counter()
    await asyncio.gather(*(write(c, commands // writers) for c in connections))
    wall = time.perf_counter() - started
    cpu = sum(cpu_seconds(pid) for pid in pids) - before
    for connection in connections:
        await pool.release(connection)
    await pool.close()
    done = commands // writers * writers
    return cpu / done * 1000, wall / done * 1000


async def variant(url: str, sql: str | None, *args: int) -> tuple[float, float]:
    if sql:
        connection = await asyncpg.connect(url)
        await connection.execute(sql)
        await connection.close()
    return await run(url, *args)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--commands", type=int, default=3000)
    parser.add_argument("--events", type=int, default=2)
    parser.add_argument("--writers", type=int, default=4)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    with fresh_database() as url:
        figures: dict[str, list[tuple[float, float]]] = {"fenced": [], "unfenced": []}
        fenced = asyncio.run(_definition(url))  # migration 0017's function, put back each round
        for _ in range(args.rounds):
            for name, sql in (("unfenced", UNFENCED), ("fenced", fenced)):
                figures[name].append(
                    asyncio.run(variant(url, sql, args.commands, args.events, args.writers))
                )
        for name, runs in figures.items():
            cpu = sorted(r[0] for r in runs)[len(runs) // 2]
            wall = sorted(r[1] for r in runs)[len(runs) // 2]
            print(
                f"{name:>9}: PostgreSQL CPU {cpu:.3f} ms/command, wall {wall:.3f} ms/command "
                f"({args.writers} writers, {args.events} events/command, median of {len(runs)})"
            )


async def _definition(url: str) -> str:
    """The fenced function's definition, to put it back after the unfenced run."""
    connection = await asyncpg.connect(url)
    try:
        return str(
            await connection.fetchval("SELECT pg_get_functiondef('scribe_outbox_mode'::regproc)")
        )
    finally:
        await connection.close()


if __name__ == "__main__":
    main()
