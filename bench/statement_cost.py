"""PostgreSQL CPU per command of the command path's own SQL (issue 40): N commands through the
application and the real persistence layer (CommandService: one read, one write statement, in
autocommit on the API's pool; no HTTP), then bench/limit.py's one-statement limit on the same
database, the same number of times, at the same concurrency; the two figures and their ratio.

    .venv/bin/python bench/statement_cost.py [--commands 6000] [--clients 4] [--rounds 3]
                                             [--keyed] [--mode table|logical]

The commands walk sessions as bench/commands.py does (RequestConceptGeneration, then ConfirmStage
for each of the five stages). PostgreSQL CPU is the user+system time of the server backends
(/proc/<pid>/stat) of the pool's connections over the measured commands; the relay wake-up's
NOTIFY (a dedicated connection, coalesced) is printed apart. Statements per command are counted
by the driver (asyncpg's query logger on every pool connection). `--keyed`: every command also
carries an idempotency key (its record is written by the same statement). `--mode logical`
switches the outbox to the slot first (the write then emits messages instead of rows). The
median of `--rounds` alternated rounds is printed, with the load average.

DATABASE_URL to use a real server (its backends must be on this machine), else an embedded one.
"""

import argparse
import asyncio
import os
import statistics
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg

import limit  # bench/limit.py: its statement and its seed, read only
from _services import fresh_database
from infinite_scribe.application.command_results import CommandResult, Receipt
from infinite_scribe.application.command_service import CommandService
from infinite_scribe.application.context import RequestContext
from infinite_scribe.application.ports.idempotency import StoredResponse
from infinite_scribe.application.sessions import GenesisSessions
from infinite_scribe.persistence.database import create_pool, keep_session
from infinite_scribe.persistence.genesis.adapters import PostgresGenesisQueries
from infinite_scribe.persistence.outbox import slot, switch
from infinite_scribe.persistence.writes.composer import WriteComposer
from infinite_scribe.persistence.writes.repositories import unit_of_work

TOPIC = "domain-events"
TICK = os.sysconf("SC_CLK_TCK")
STAGES = ("CONCEPT_SELECTION", "STORY_CONCEPTION", "WORLDVIEW", "CHARACTERS", "PLOT_OUTLINE")
#: One session's walk (bench/commands.py's mix): (command type, payload).
WALK: list[tuple[str, dict[str, Any]]] = [
    ("RequestConceptGeneration", {}),
    *(("ConfirmStage", {"stage": s, "data": {"title": "Bench"}}) for s in STAGES),
]
#: Commands run on each connection before counting: asyncpg prepares, and every shape of the
#: walk passes the five custom plans PostgreSQL makes before it keeps a generic one.
WARM_PER_CLIENT = 48


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK


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
    """A keyed command's record, as the API's command route makes it (a fixed answer)."""
    answer = StoredResponse(202, [("content-type", "application/json")], b'{"ok":true}')

    def render(result: CommandResult) -> StoredResponse:
        return answer

    return Receipt(f"user:{session}", f"key-{uuid.uuid4()}", "fingerprint", 86_400.0, render)


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


async def commands_round(url: str, commands: int, clients: int, keyed: bool) -> Figures:
    """`commands` commands through CommandService on a fresh pool (the API's settings)."""
    pool = await create_pool(url, min_size=clients, max_size=clients, reset=keep_session)
    uow = unit_of_work(pool, WriteComposer(TOPIC), url)
    await uow.notifier.open()
    service = CommandService(uow, PostgresGenesisQueries(pool))
    user = uuid.uuid4()
    context = RequestContext(user_id=user, request_id="bench")
    walks = max(1, commands // len(WALK) // clients)
    creator = GenesisSessions(uow, PostgresGenesisQueries(pool))
    warm = [[(await creator.create(context, None))[0].session_id] for _ in range(clients)]
    sessions = [
        [(await creator.create(context, None))[0].session_id for _ in range(walks)]
        for _ in range(clients)
    ]
    failures = 0

    async def step(session: uuid.UUID, n: int) -> None:
        nonlocal failures
        command_type, payload = WALK[n]
        receipt = _receipt(session) if keyed else None
        try:
            await service.execute(context, session, command_type, payload, None, receipt)
        except Exception:  # counted: every command of the walk should pass
            failures += 1

    counter = [0]
    pids = await _pool_pids(pool, clients, counter)
    for _ in range(WARM_PER_CLIENT // len(WALK)):
        await _walks(clients, warm, step)
        warm = [[(await creator.create(context, None))[0].session_id] for _ in range(clients)]
    await uow.notifier.idle()
    notifier = uow.notifier._connection  # the wake-up's own backend, counted apart
    notify_pid = notifier.get_server_pid() if notifier is not None else None
    counter[0], failures, sent = 0, 0, uow.notifier.sent
    before = backends_cpu(pids)
    notify_before = cpu_seconds(notify_pid) if notify_pid else 0.0
    await _walks(clients, sessions, step)
    await uow.notifier.idle()
    done = walks * clients * len(WALK)
    cpu = backends_cpu(pids) - before
    notify_cpu = (cpu_seconds(notify_pid) - notify_before) if notify_pid else 0.0
    figures = Figures(
        cpu * 1000 / done,
        counter[0] / done,
        notify_cpu * 1000 / done,
        (uow.notifier.sent - sent) / done,
        failures,
    )
    await uow.close()
    await pool.close()
    return figures


async def limit_round(url: str, statements: int, clients: int) -> Figures:
    """bench/limit.py's statement `statements` times from `clients` connections."""
    connections = [await asyncpg.connect(url) for _ in range(clients)]
    prepared = [await c.prepare(limit.STATEMENT) for c in connections]
    pids = [c.get_server_pid() for c in connections]
    share = statements // clients
    sessions = iter(range(1, 10**9))

    async def client(statement: Any, count: int) -> None:
        for _ in range(count):
            await statement.fetchval(str(next(sessions) % limit.SESSIONS + 1))

    await asyncio.gather(*(client(p, WARM_PER_CLIENT) for p in prepared))
    before = backends_cpu(pids)
    await asyncio.gather(*(client(p, share) for p in prepared))
    cpu = backends_cpu(pids) - before
    for connection in connections:
        await connection.close()
    return Figures(cpu * 1000 / (share * clients), 1.0)


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
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--keyed", action="store_true", help="an idempotency key per command")
    parser.add_argument("--mode", choices=("table", "logical"), default="table")
    args = parser.parse_args()
    ours: list[Figures] = []
    limits: list[Figures] = []
    with fresh_database() as url:
        asyncio.run(limit.seed(url))
        asyncio.run(set_mode(url, args.mode))
        try:
            for _ in range(args.rounds):
                ours.append(
                    asyncio.run(commands_round(url, args.commands, args.clients, args.keyed))
                )
                limits.append(asyncio.run(limit_round(url, args.commands, args.clients)))
        finally:
            asyncio.run(set_mode(url, "table"))  # a database with a slot cannot be dropped
    report(args, ours, limits)


def report(args: argparse.Namespace, ours: list[Figures], limits: list[Figures]) -> None:
    cpu = median([f.cpu_ms for f in ours])
    limit_cpu = median([f.cpu_ms for f in limits])
    load = os.getloadavg()
    kind = "keyed " if args.keyed else ""
    print(
        f"{kind}commands ({args.mode} outbox): PostgreSQL CPU {cpu:.3f} ms per command "
        f"(target <= 0.6; rounds {', '.join(f'{f.cpu_ms:.3f}' for f in ours)}), "
        f"{median([f.statements for f in ours]):.2f} statements per command, "
        f"failures {sum(f.failures for f in ours)}"
    )
    print(
        f"  relay wake-up (apart): {median([f.notify_ms for f in ours]):.3f} ms, "
        f"{median([f.notifies for f in ours]):.2f} NOTIFY per command"
    )
    print(
        f"limit statement (bench/limit.py): PostgreSQL CPU {limit_cpu:.3f} ms per statement "
        f"(rounds {', '.join(f'{f.cpu_ms:.3f}' for f in limits)}), 1 statement per command"
    )
    print(
        f"ratio: commands cost {cpu / limit_cpu:.2f}x the limit's statement "
        f"({args.commands} commands x {args.rounds} rounds, {args.clients} clients; load average "
        f"{load[0]:.1f} {load[1]:.1f} {load[2]:.1f} on {os.cpu_count()} cores)"
    )


if __name__ == "__main__":
    main()
