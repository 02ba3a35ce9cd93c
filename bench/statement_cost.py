"""PostgreSQL CPU per command of the command path's own SQL (issue 40): N commands through the
application and the real persistence layer (CommandService: one read, one write statement, in
autocommit on the API's pool; no HTTP), and bench/limit.py's one-statement limit on the same
database, as many times, at the same concurrency; the two figures and their ratio.

    .venv/bin/python bench/statement_cost.py [--commands 6000] [--clients 4] [--chunks 10]
                                             [--keyed] [--mode table|logical]

The commands walk sessions as bench/commands.py does (RequestConceptGeneration, then ConfirmStage
for each of the five stages). PostgreSQL CPU is the user+system time of the server backends
(/proc/<pid>/stat) of the pool's connections over the measured commands; the relay wake-up's
NOTIFY (a dedicated connection, coalesced) is printed apart. Statements per command are counted
by the driver (asyncpg's query logger on every pool connection). `--keyed`: every command also
carries an idempotency key (its record is written by the same statement). `--mode logical`
switches the outbox to the slot first (the write then emits messages instead of rows). The
commands run in `--chunks` chunks, each followed by as many limit statements: a chunk's ratio
compares figures taken seconds apart, under the same load from the machine's other processes.
The medians and the median of the chunks' ratios are printed, with the load average.

DATABASE_URL to use a real server (its backends must be on this machine), else an embedded one.
"""

import argparse
import asyncio
import os
import statistics
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import asyncpg

import limit  # bench/limit.py: its statement and its seed, read only
from _harness import cpu_seconds
from _services import fresh_database
from infinite_scribe.application.command_results import Receipt
from infinite_scribe.application.command_service import CommandService
from infinite_scribe.application.context import RequestContext
from infinite_scribe.application.sessions import GenesisSessions
from infinite_scribe.persistence.database import (
    WRITE_POOL_SIZE,
    create_pool,
    create_write_pool,
    keep_session,
)
from infinite_scribe.persistence.genesis.adapters import PostgresGenesisQueries
from infinite_scribe.persistence.outbox import slot, switch
from infinite_scribe.persistence.repositories import unit_of_work
from infinite_scribe.persistence.writes.composer import WriteComposer

TOPIC = "domain-events"
STAGES = ("CONCEPT_SELECTION", "STORY_CONCEPTION", "WORLDVIEW", "CHARACTERS", "PLOT_OUTLINE")
#: One session's walk (bench/commands.py's mix): (command type, payload).
WALK: list[tuple[str, dict[str, Any]]] = [
    ("RequestConceptGeneration", {}),
    *(("ConfirmStage", {"stage": s, "data": {"title": "Bench"}}) for s in STAGES),
]
#: Commands run on each connection before counting: asyncpg prepares, and every shape of the
#: walk passes the five custom plans PostgreSQL makes before it keeps a generic one.
WARM_PER_CLIENT = 48


def backends_cpu(pids: list[int]) -> float:
    return sum(cpu_seconds(pid) for pid in pids)


@dataclass
class Figures:
    cpu_ms: float  # PostgreSQL CPU per command (the pool's backends)
    statements: float  # statements per command (driver-side count)
    notify_ms: float = 0.0  # the wake-up connection's CPU per command
    notifies: float = 0.0  # NOTIFYs per command
    failures: int = 0


def _receipt(session: uuid.UUID) -> Receipt:
    """A keyed command's key, as the API's command route makes it (kept in its inbox row)."""
    return Receipt(f"user:{session}", f"key-{uuid.uuid4()}", "fingerprint")


async def _pool_pids(pool: asyncpg.Pool, size: int, counter: list[int]) -> list[int]:
    """Every pool connection opened now, each with a statement counter; their backend pids."""
    connections = [await pool.acquire() for _ in range(size)]
    pids = []
    for connection in connections:
        connection.add_query_logger(lambda record: counter.__setitem__(0, counter[0] + 1))
        pids.append(connection.get_server_pid())
    for connection in connections:
        await pool.release(connection)
    return pids


async def _walks(
    clients: int, sessions: list[list[uuid.UUID]], step: Callable[[uuid.UUID, int], Awaitable[None]]
) -> None:
    async def client(mine: list[uuid.UUID]) -> None:
        for session in mine:
            for n in range(len(WALK)):
                await step(session, n)

    await asyncio.gather(*(client(sessions[c]) for c in range(clients)))


async def _new_sessions(
    creator: GenesisSessions, context: RequestContext, clients: int, walks: int
) -> list[list[uuid.UUID]]:
    """`walks` new sessions for each client."""
    return [
        [(await creator.create(context, None))[0].session_id for _ in range(walks)]
        for _ in range(clients)
    ]


class Commands:
    """Commands through CommandService on a pool with the API's settings, `clients` at once."""

    def __init__(self, url: str, clients: int, keyed: bool) -> None:
        self.url, self.clients, self.keyed = url, clients, keyed
        self.context = RequestContext(user_id=uuid.uuid4(), request_id="bench")
        self.counter = [0]
        self.failures = 0

    async def open(self) -> None:
        size = self.clients
        self.pool = await create_pool(self.url, min_size=size, max_size=size, reset=keep_session)
        # The writes on their own pool, as the API runs them (decision 5002).
        self.write_pool = await create_write_pool(self.url)
        self.uow = unit_of_work(
            self.pool, WriteComposer(TOPIC), self.url, write_pool=self.write_pool
        )
        await self.uow.notifier.open()
        self.service = CommandService(self.uow, PostgresGenesisQueries(self.pool))
        self.creator = GenesisSessions(self.uow, PostgresGenesisQueries(self.pool))
        self.pids = await _pool_pids(self.pool, size, self.counter)
        self.pids += await _pool_pids(self.write_pool, WRITE_POOL_SIZE, self.counter)
        await self.chunk(WARM_PER_CLIENT // len(WALK))

    async def step(self, session: uuid.UUID, n: int) -> None:
        command_type, payload = WALK[n]
        receipt = _receipt(session) if self.keyed else None
        try:
            await self.service.execute(self.context, session, command_type, payload, None, receipt)
        except Exception:  # counted: every command of the walk should pass
            self.failures += 1

    async def chunk(self, walks: int) -> Figures:
        """`walks` walks per client (sessions made first, not counted)."""
        sessions = await _new_sessions(self.creator, self.context, self.clients, walks)
        await self.uow.notifier.idle()
        notifier = self.uow.notifier._connection  # the wake-up's own backend, counted apart
        notify_pid = notifier.get_server_pid() if notifier is not None else None
        self.counter[0], self.failures, sent = 0, 0, self.uow.notifier.sent
        before = backends_cpu(self.pids)
        notify_before = cpu_seconds(notify_pid) if notify_pid else 0.0
        await _walks(self.clients, sessions, self.step)
        await self.uow.notifier.idle()
        cpu = backends_cpu(self.pids) - before
        notify_cpu = (cpu_seconds(notify_pid) - notify_before) if notify_pid else 0.0
        done = walks * self.clients * len(WALK)
        notifies = (self.uow.notifier.sent - sent) / done
        return Figures(
            cpu * 1000 / done, self.counter[0] / done, notify_cpu * 1000 / done, notifies,
            self.failures,
        )  # fmt: skip

    async def close(self) -> None:
        await self.uow.close()
        await self.write_pool.close()
        await self.pool.close()


class Limit:
    """bench/limit.py's statement from `clients` connections, prepared."""

    def __init__(self, url: str, clients: int) -> None:
        self.url, self.clients = url, clients
        self.sessions = iter(range(1, 10**9))

    async def open(self) -> None:
        self.connections = [await asyncpg.connect(self.url) for _ in range(self.clients)]
        self.prepared = [await c.prepare(limit.STATEMENT) for c in self.connections]
        self.pids = [c.get_server_pid() for c in self.connections]
        await self._run(WARM_PER_CLIENT)

    async def _run(self, each: int) -> None:
        async def client(statement: Any) -> None:
            for _ in range(each):
                await statement.fetchval(str(next(self.sessions) % limit.SESSIONS + 1))

        await asyncio.gather(*(client(p) for p in self.prepared))

    async def chunk(self, statements: int) -> Figures:
        each = max(1, statements // self.clients)
        before = backends_cpu(self.pids)
        await self._run(each)
        return Figures((backends_cpu(self.pids) - before) * 1000 / (each * self.clients), 1.0)

    async def close(self) -> None:
        for connection in self.connections:
            await connection.close()


async def measure(url: str, args: argparse.Namespace) -> tuple[list[Figures], list[Figures]]:
    """Chunks of commands, each followed by as many limit statements: a chunk's ratio compares
    two figures taken seconds apart, under the same load from the rest of the machine."""
    commands, limits = Commands(url, args.clients, args.keyed), Limit(url, args.clients)
    await commands.open()
    await limits.open()
    walks = max(1, args.commands // args.chunks // len(WALK) // args.clients)
    ours: list[Figures] = []
    theirs: list[Figures] = []
    try:
        for _ in range(args.chunks):
            ours.append(await commands.chunk(walks))
            theirs.append(await limits.chunk(walks * len(WALK) * args.clients))
    finally:
        await commands.close()
        await limits.close()
    return ours, theirs


async def set_mode(url: str, mode: str) -> None:
    connection = await asyncpg.connect(url)
    try:
        if mode == "logical":
            await switch.switch_on(connection)
        elif await slot.slot_exists(connection):
            await switch.switch_off(connection)
    finally:
        await connection.close()


def median(values: list[float]) -> float:
    return statistics.median(values) if values else 0.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--commands", type=int, default=6000)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--chunks", type=int, default=10)
    parser.add_argument("--keyed", action="store_true", help="an idempotency key per command")
    parser.add_argument("--mode", choices=("table", "logical"), default="table")
    args = parser.parse_args()
    with fresh_database() as url:
        asyncio.run(limit.seed(url))
        asyncio.run(set_mode(url, args.mode))
        try:
            ours, limits = asyncio.run(measure(url, args))
        finally:
            asyncio.run(set_mode(url, "table"))  # a database with a slot cannot be dropped
    report(args, ours, limits)


def report(args: argparse.Namespace, ours: list[Figures], limits: list[Figures]) -> None:
    cpu = median([f.cpu_ms for f in ours])
    limit_cpu = median([f.cpu_ms for f in limits])
    ratio = median([o.cpu_ms / t.cpu_ms for o, t in zip(ours, limits, strict=True) if t.cpu_ms])
    load = os.getloadavg()
    kind = "keyed " if args.keyed else ""
    print(
        f"{kind}commands ({args.mode} outbox): PostgreSQL CPU {cpu:.3f} ms per command "
        f"(target <= 0.6; median of {len(ours)} chunks, quartiles "
        f"{_quartiles([f.cpu_ms for f in ours])}), "
        f"{median([f.statements for f in ours]):.2f} statements per command, "
        f"failures {sum(f.failures for f in ours)}"
    )
    print(
        f"  relay wake-up (apart): {median([f.notify_ms for f in ours]):.3f} ms, "
        f"{median([f.notifies for f in ours]):.2f} NOTIFY per command"
    )
    print(
        f"limit statement (bench/limit.py): PostgreSQL CPU {limit_cpu:.3f} ms per statement "
        f"(quartiles {_quartiles([f.cpu_ms for f in limits])}), 1 statement per command"
    )
    print(
        f"ratio: commands cost {ratio:.2f}x the limit's statement (median of the chunks' "
        f"ratios; {args.commands} commands, {args.clients} clients; load average "
        f"{load[0]:.1f} {load[1]:.1f} {load[2]:.1f} on {os.cpu_count()} cores)"
    )


def _quartiles(values: list[float]) -> str:
    if len(values) < 2:
        return f"{median(values):.3f}"
    q = statistics.quantiles(values, n=4)
    return f"{q[0]:.3f}-{q[2]:.3f}"


if __name__ == "__main__":
    main()
