"""What PostgreSQL did inside a window of a bench (issue 80): every statement with its count and
server time, the WAL it wrote, and its CPU by client.

- Statements: the server's own log with `log_min_duration_statement = 0` for the window (the
  embedded server, pgserver's PostgreSQL 16, ships no pg_stat_statements: its pkglibdir has no
  `pg_stat_statements.so`, so it cannot be preloaded). Each logged parse, bind and execute
  carries its duration and its backend's `application_name`; a statement is counted once, at
  its execute (or at its simple-protocol `statement:` line), and its server time is the sum of
  its parse, bind and execute. Logging costs the server CPU: a window that counts statements
  is not the window that measures CPU.
- WAL: `pg_stat_wal` (records, full-page images, bytes, writes, syncs) and the
  `pg_current_wal_lsn()` delta, and pg_waldump's records by kind over that LSN range.
- CPU: every server process's CPU time from /proc, split by what it serves (its
  `application_name`, else its `backend_type`).
"""

import contextlib
import os
import re
import subprocess
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncpg
import psutil

from _services import WATCHED
from infinite_scribe.persistence.database import asyncpg_dsn

#: Marks the start of a log entry (a statement may span lines): backend pid, application name.
PREFIX = "@@%p|%a@@ "
_ENTRY = re.compile(
    r"^@@(?P<pid>\d+)\|(?P<app>[^@]*)@@ LOG:  duration: (?P<ms>[\d.]+) ms  "
    r"(?:(?P<phase>parse|bind|execute) [^:]*|statement): (?P<sql>.*)$"
)
#: Literals folded out of a statement's name (the drivers send parameters, these are rare).
_LITERALS = re.compile(r"'[^']*'|\b\d+\b")
#: This bench's own connections (its polling and these windows) are not the system's.
BENCH_APP = "scribe-bench"


@dataclass
class Statement:
    count: int = 0
    ms: float = 0.0
    apps: Counter[str] = field(default_factory=Counter)


@dataclass
class Window:
    """What the server did in one window."""

    statements: dict[str, Statement] = field(default_factory=dict)
    wal: dict[str, float] = field(default_factory=dict)
    wal_kinds: Counter[str] = field(default_factory=Counter)
    cpu: dict[str, float] = field(default_factory=dict)


async def _connect(url: str) -> asyncpg.Connection:
    return await asyncpg.connect(asyncpg_dsn(url), server_settings={"application_name": BENCH_APP})


async def _set(url: str, settings: dict[str, str]) -> None:
    connection = await _connect(url)
    try:
        for name, value in settings.items():
            await connection.execute(f"ALTER SYSTEM SET {name} = '{value}'")
        await connection.execute("SELECT pg_reload_conf()")
    finally:
        await connection.close()


async def prepare(url: str) -> None:
    """Log lines that name their backend and client; WAL syncs timed."""
    await _set(url, {"log_line_prefix": PREFIX, "track_wal_io_timing": "on"})


def server_log() -> Path | None:
    pid = WATCHED.get("postgres")
    if pid is None:
        return None
    with contextlib.suppress(OSError):
        path = Path(os.readlink(f"/proc/{pid}/cwd")) / "log"
        return path if path.exists() else None
    return None


async def _wal(connection: asyncpg.Connection) -> dict[str, Any]:
    row = await connection.fetchrow(
        "SELECT wal_records, wal_fpi, wal_bytes::float8 AS wal_bytes, wal_write, wal_sync,"
        " wal_sync_time, pg_current_wal_lsn()::text AS lsn,"
        " pg_walfile_name(pg_current_wal_lsn()) AS file FROM pg_stat_wal"
    )
    return dict(row)


async def _roles(connection: asyncpg.Connection) -> dict[int, str]:
    rows = await connection.fetch(
        "SELECT pid, coalesce(nullif(application_name, ''), backend_type) AS role"
        " FROM pg_stat_activity"
    )
    return {row["pid"]: row["role"] for row in rows}


def _server_cpu() -> dict[int, float]:
    pid = WATCHED.get("postgres")
    found: dict[int, float] = {}
    if pid is None:
        return found
    with contextlib.suppress(psutil.Error):
        postmaster = psutil.Process(pid)
        for process in [postmaster, *postmaster.children(recursive=True)]:
            with contextlib.suppress(psutil.Error):
                found[process.pid] = sum(process.cpu_times()[:2])
    return found


@contextlib.asynccontextmanager
async def window(url: str, statements: bool) -> AsyncIterator[Window]:
    """Measure the server inside the block (filled on exit); with `statements`, the statement
    log is on for the block."""
    found = Window()
    log = server_log()
    connection = await _connect(url)
    try:
        if statements:
            await _set(url, {"log_min_duration_statement": "0", "log_parameter_max_length": "0"})
        start = log.stat().st_size if log else 0
        wal_before, cpu_before = await _wal(connection), _server_cpu()
        yield found
        wal_after, cpu_after = await _wal(connection), _server_cpu()
        roles = await _roles(connection)
        if statements:
            await _set(url, {"log_min_duration_statement": "-1"})
            if log:
                found.statements = tally(_read_from(log, start))
        found.wal = _wal_delta(wal_before, wal_after)
        found.wal["lsn_bytes"] = float(
            await connection.fetchval(
                "SELECT pg_wal_lsn_diff($1::text::pg_lsn, $2::text::pg_lsn)",
                wal_after["lsn"],
                wal_before["lsn"],
            )
        )
        names = await relations(url)
        for key, n in waldump(wal_before["lsn"], wal_after["lsn"]).items():
            kind, _, node = key.partition(" ")
            found.wal_kinds[f"{kind} {names.get(node, node)}"] += n
        for pid, seconds in cpu_after.items():
            role = "postmaster" if pid == WATCHED.get("postgres") else roles.get(pid, "ended")
            spent = seconds - cpu_before.get(pid, 0.0)
            found.cpu[role] = found.cpu.get(role, 0.0) + spent
    finally:
        await connection.close()


def _wal_delta(before: dict[str, Any], after: dict[str, Any]) -> dict[str, float]:
    names = ("wal_records", "wal_fpi", "wal_bytes", "wal_write", "wal_sync", "wal_sync_time")
    return {name: float(after[name] - before[name]) for name in names}


def _read_from(log: Path, start: int) -> list[str]:
    with log.open("rb") as handle:
        handle.seek(start)
        return handle.read().decode("utf-8", "replace").splitlines()


def tally(lines: list[str]) -> dict[str, Statement]:
    """Statements by their normalised text: executions and server time (parse + bind + execute),
    the bench's own left out."""
    found: dict[str, Statement] = {}
    entry: dict[str, str] | None = None
    text: list[str] = []

    def close() -> None:
        if entry is None or entry["app"] == BENCH_APP:
            return
        sql = _LITERALS.sub("?", " ".join(" ".join(text).split()))
        row = found.setdefault(sql, Statement())
        row.ms += float(entry["ms"])
        if entry["phase"] in (None, "execute"):
            row.count += 1
            row.apps[entry["app"] or "?"] += 1

    for line in lines:
        if line.startswith("@@"):
            close()
            match = _ENTRY.match(line)
            entry = match.groupdict() if match else None
            text = [match["sql"]] if match else []
        elif entry is not None and not line.startswith("\t"):
            text.append(line)
        elif entry is not None:
            text.append(line.strip())
    close()
    return found


def waldump(start: str, end: str) -> Counter[str]:
    """WAL records between two LSNs by kind and by the relation of their first block (pg_waldump
    over the server's pg_wal: `Btree/INSERT_LEAF 16384` ...; relation file numbers are named by
    `relations`); empty when the tool or the segments are not there."""
    pid = WATCHED.get("postgres")
    tool = Path(psutil.Process(pid).exe()).with_name("pg_waldump") if pid else None
    if tool is None or not tool.exists() or start == end:
        return Counter()
    wal_dir = Path(os.readlink(f"/proc/{pid}/cwd")) / "pg_wal"
    done = subprocess.run(
        [str(tool), "-p", str(wal_dir), "-s", start, "-e", end],
        capture_output=True,
        text=True,
        check=False,
    )
    kinds: Counter[str] = Counter()
    for line in done.stdout.splitlines():
        match = _RECORD.match(line)
        if match:
            kind = f"{match['rmgr']}/{match['desc']}"
            kinds[f"{kind} {match['rel'] or '-'}"] += 1
    return kinds


#: `rmgr: Btree len (rec/tot): 64/64, tx: 1, lsn: 0/1, prev 0/1, desc: INSERT_LEAF off: 2,
#: blkref #0: rel 1663/5/16400 blk 1` (the first block's relation names the record).
_RECORD = re.compile(
    r"^rmgr: (?P<rmgr>\S+)\s.*?desc: (?P<desc>[A-Z_+0-9]+)(?:.*?rel \d+/\d+/(?P<rel>\d+))?"
)


async def relations(url: str) -> dict[str, str]:
    """Relation file numbers -> names (a table's or an index's), to name WAL records."""
    connection = await _connect(url)
    try:
        rows = await connection.fetch(
            "SELECT pg_relation_filenode(oid)::text AS node, relname FROM pg_class"
            " WHERE pg_relation_filenode(oid) IS NOT NULL"
        )
    finally:
        await connection.close()
    return {row["node"]: row["relname"] for row in rows}
