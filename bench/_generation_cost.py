"""What a generation costs across every process (issue 40): CPU of the API, relay, worker(s),
PostgreSQL (postmaster and backends) and broker from /proc, and the SQL statements PostgreSQL
ran, counted from its own log (`log_statement = all` for the span of a counting run only: the
embedded server has no pg_stat_statements). Both are load-robust, unlike latencies."""

import contextlib
import os
import re
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

import asyncpg

from _harness import cpu_seconds, tree_cpu_seconds
from _services import WATCHED

#: A statement in PostgreSQL's log: simple protocol (`statement:`) or extended (`execute`).
_LOGGED = re.compile(r"LOG:  (?:statement|execute [^:]*): (?P<sql>.*)$")
#: The bench's own statements (switching the log, polling for finished tasks).
_BENCH_OWN = (
    "pg_reload_conf",
    "ALTER SYSTEM",
    "extract(epoch FROM finished_at)",
    "/* bench-own */",
)


@dataclass
class Processes:
    """The processes a generation passes through, by role."""

    pids: dict[str, int] = field(default_factory=dict)

    def add(self, role: str, pid: int) -> None:
        self.pids[role] = pid

    def snapshot(self) -> dict[str, float]:
        every = {**self.pids, **WATCHED}
        # The bench's own process alone: the services it started are its children.
        return {
            role: cpu_seconds(pid) if role in NOT_OURS else tree_cpu_seconds(pid)
            for role, pid in every.items()
        }


#: Roles whose CPU is reported but is not the project's: the bench's own process (its clients
#: and the fake model server, which share one interpreter).
NOT_OURS = frozenset({"bench"})


def cpu_per_unit(before: dict[str, float], after: dict[str, float], units: int) -> dict[str, float]:
    """Milliseconds of CPU per unit, by role, and the total of the project's processes."""
    spent = {role: (after[role] - before.get(role, 0.0)) * 1000 / units for role in after}
    spent["total"] = sum(ms for role, ms in spent.items() if role not in NOT_OURS)
    return {role: round(ms, 3) for role, ms in spent.items()}


def server_log() -> Path | None:
    """The embedded server's log (pgserver writes `<pgdata>/log`; the postmaster runs there)."""
    pid = WATCHED.get("postgres")
    if pid is None:
        return None
    with contextlib.suppress(OSError):
        path = Path(os.readlink(f"/proc/{pid}/cwd")) / "log"
        if path.exists():
            return path
    return None


async def _log_statements(database_url: str, on: bool) -> None:
    connection = await asyncpg.connect(database_url)
    try:
        await connection.execute(f"ALTER SYSTEM SET log_statement = '{'all' if on else 'none'}'")
        await connection.execute("SELECT pg_reload_conf()")
    finally:
        await connection.close()


@contextlib.asynccontextmanager
async def counted_statements(database_url: str | None) -> AsyncIterator[Counter[str]]:
    """Statements PostgreSQL ran inside the block, by their first words (filled on exit);
    empty when the server is not the embedded one. The bench's own polling is left out."""
    found: Counter[str] = Counter()
    log = server_log() if database_url else None
    if log is None or database_url is None:
        yield found
        return
    await _log_statements(database_url, True)
    start = log.stat().st_size
    try:
        yield found
    finally:
        await _log_statements(database_url, False)
        with log.open("rb") as handle:
            handle.seek(start)
            text = handle.read().decode("utf-8", "replace")
        _tally(text.splitlines(), found)


def _tally(lines: list[str], found: Counter[str]) -> None:
    """Count the logged statements by their first words (a statement that starts on a new
    line is named by its next line)."""
    for number, line in enumerate(lines):
        match = _LOGGED.search(line)
        if not match:
            continue
        sql = match["sql"].strip() or (lines[number + 1] if number + 1 < len(lines) else "")
        if not any(mine in sql for mine in _BENCH_OWN):
            found[" ".join(sql.split())[:70]] += 1


def cost_lines(label: str, cpu: dict[str, float], statements: Counter[str], units: int) -> str:
    """The report: CPU by process, statements per unit and the most frequent ones."""
    parts = ", ".join(
        f"{role} {ms:.2f}" for role, ms in cpu.items() if role != "total" and role not in NOT_OURS
    )
    lines = [
        f"{label}: CPU per generation {cpu['total']:.2f} ms (target <= 15): {parts}; "
        f"(the bench's clients and fake model: {cpu.get('bench', 0.0):.2f}); "
        f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores"
    ]
    if statements:
        total = sum(statements.values())
        lines.append(
            f"{label}: SQL statements per generation {total / units:.2f} (target <= 10), "
            f"{total} over {units} generations; the most frequent:"
        )
        for sql, count in statements.most_common(14):
            lines.append(f"  {count / units:6.2f}  {sql}")
    return "\n".join(lines)
