"""The services every benchmark runs against: a fresh database (dropped afterwards) on the
server in DATABASE_URL or an embedded PostgreSQL, and KAFKA_BOOTSTRAP_SERVERS or an embedded
broker. Migrated, with the topic created. The benches of the whole system (commands, worker,
agents) put the database in the outbox mode `scribe up` gives a new one (`system_outbox_mode`:
logical, decision 4004; BENCH_OUTBOX_MODE=table for the table outbox)."""

import asyncio
import os
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import asyncpg

from infinite_scribe.embedded.kafka import EmbeddedKafka
from infinite_scribe.embedded.postgres import EmbeddedPostgres
from infinite_scribe.kafka.admin import ensure_topic
from infinite_scribe.persistence import migrate
from infinite_scribe.persistence.database import asyncpg_dsn, with_database
from infinite_scribe.persistence.outbox import switch

#: Process ids of the embedded services (their CPU time is reported by some benches).
WATCHED: dict[str, int] = {}


async def admin(url: str, statement: str) -> None:
    """One statement on its own connection (CREATE / DROP DATABASE cannot run in a transaction)."""
    connection = await asyncpg.connect(asyncpg_dsn(url))
    try:
        await connection.execute(statement)
    finally:
        await connection.close()


@contextmanager
def fresh_database() -> Iterator[str]:
    """A new database on DATABASE_URL's server (dropped on exit), else an embedded server."""
    with ExitStack() as stack:
        url = os.environ.get("DATABASE_URL")
        if url:
            name = f"bench_{uuid.uuid4().hex[:10]}"
            server = url
            asyncio.run(admin(server, f"CREATE DATABASE {name}"))
            drop = f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"
            if os.environ.get("BENCH_KEEP_DB"):  # to look at afterwards
                print(f"database {name} kept (BENCH_KEEP_DB)", flush=True)
            else:
                stack.callback(lambda: asyncio.run(admin(server, drop)))
            url = with_database(url, name)
        else:
            root = Path(tempfile.mkdtemp(prefix="scribe-bench-"))
            stack.callback(shutil.rmtree, root, ignore_errors=True)
            postgres = EmbeddedPostgres(root / "pg", database="bench")
            url = postgres.start()
            stack.callback(postgres.stop)
            if postgres.pid:
                WATCHED["postgres"] = postgres.pid
        migrate.upgrade(url)
        yield url


def system_outbox_mode() -> str:
    """The outbox mode of the whole-system benches: `scribe up`'s for a new database."""
    mode = os.environ.get("BENCH_OUTBOX_MODE", "logical")
    if mode not in ("logical", "table"):
        raise SystemExit(f"BENCH_OUTBOX_MODE must be logical or table, not {mode!r}")
    return mode


async def _switch(url: str, on: bool) -> None:
    connection = await asyncpg.connect(asyncpg_dsn(url))
    try:
        await (switch.switch_on(connection) if on else switch.switch_off(connection))
    finally:
        await connection.close()


@contextmanager
def outbox_mode(url: str, mode: str) -> Iterator[str]:
    """The database in `mode` for the run; back to the table at the end (with the processes
    stopped), as a database that holds a replication slot cannot be dropped."""
    if mode == "logical":
        asyncio.run(_switch(url, True))
    try:
        yield mode
    finally:
        if mode == "logical":
            asyncio.run(_switch(url, False))


@contextmanager
def broker(topic: str = "domain-events", partitions: int = 6) -> Iterator[str]:
    with ExitStack() as stack:
        servers = os.environ.get("KAFKA_BOOTSTRAP_SERVERS")
        if not servers:
            kafka = EmbeddedKafka()
            servers = kafka.start()
            stack.callback(kafka.stop)
            if kafka.pid:
                WATCHED["broker"] = kafka.pid
        ensure_topic(servers, topic, partitions)
        yield servers
