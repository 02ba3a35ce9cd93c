"""asyncpg connection pools with JSON codecs, and the database URL forms each driver wants."""

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import orjson

T = TypeVar("T")


#: The binary `jsonb` format is a version byte (1) before the JSON text (PostgreSQL's
#: jsonb_send / jsonb_recv); `json`'s binary format is the text itself.
_JSONB_VERSION = b"\x01"


def _jsonb_encode(value: Any) -> bytes:
    return _JSONB_VERSION + orjson.dumps(value)


def _jsonb_decode(data: bytes) -> Any:
    if data[:1] != _JSONB_VERSION:
        raise ValueError(f"unknown jsonb binary format version {data[:1]!r}")
    return orjson.loads(memoryview(data)[1:])


async def _init_connection(connection: asyncpg.Connection) -> None:
    # JSON and JSONB in and out as Python objects, encoded with orjson (UUIDs and datetimes
    # included), in the binary format (issue 40): the text format made asyncpg quote every
    # element of a `jsonb[]` parameter into an array literal and PostgreSQL parse it back
    # (array_in), and every value went bytes -> str -> bytes on the way.
    await connection.set_type_codec(
        "jsonb",
        encoder=_jsonb_encode,
        decoder=_jsonb_decode,
        schema="pg_catalog",
        format="binary",
    )
    await connection.set_type_codec(
        "json", encoder=orjson.dumps, decoder=orjson.loads, schema="pg_catalog", format="binary"
    )


def asyncpg_dsn(url: str) -> str:
    """asyncpg accepts postgresql:// URLs (a ?host=/socket/dir query selects a Unix socket)."""
    parts = urlsplit(url)
    scheme = "postgresql" if parts.scheme in ("postgres", "postgresql") else parts.scheme
    return urlunsplit((scheme, parts.netloc, parts.path, parts.query, parts.fragment))


def sqlalchemy_url(url: str) -> str:
    """The same database for SQLAlchemy (Alembic), through its asyncpg dialect."""
    parts = urlsplit(asyncpg_dsn(url))
    return urlunsplit(("postgresql+asyncpg", parts.netloc, parts.path, parts.query, ""))


def with_database(url: str, database: str) -> str:
    """The same server, another database name."""
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, "/" + database, parts.query, parts.fragment))


#: asyncpg's per-release reset hook (None: its default RESET ALL, UNLISTEN, ...).
ResetHook = Callable[[asyncpg.Connection], Awaitable[None]] | None


async def keep_session(connection: asyncpg.Connection) -> None:
    """A reset hook for pools whose users never change session state (no SET, LISTEN, advisory
    lock, cursor outside a transaction): asyncpg's default reset is one more round trip on every
    release. asyncpg still rolls back a transaction left open and drops local listeners."""


async def create_pool(
    url: str,
    *,
    min_size: int = 2,
    max_size: int = 10,
    server_settings: dict[str, str] | None = None,
    reset: ResetHook = None,
) -> asyncpg.Pool:
    """The one pool factory: every pool decodes JSON/JSONB with the same codecs.

    `server_settings` are per-connection GUCs (the relay and the idempotency store commit
    asynchronously); `reset` replaces the reset asyncpg runs on every release.
    """
    options: dict[str, Any] = {}
    if reset is not None:
        options["reset"] = reset
    pool = await asyncpg.create_pool(
        asyncpg_dsn(url),
        min_size=min_size,
        max_size=max_size,
        init=_init_connection,
        server_settings=server_settings,
        **options,
    )
    assert pool is not None
    return pool


#: Connections of a process's write pool: a flight per statement shape (group commit's one
#: lane), and room for a refused batch's members running again alone.
WRITE_POOL_SIZE = 8
#: How long a write on the write pool waits for a row lock before it leaves its group commit's
#: lane to wait alone (writes/group_commit.py, decision 7200): far above a batch's own lock
#: hold (a few ms), far below what the writes queued behind it can wait.
WRITE_LOCK_WAIT = "20ms"


async def create_write_pool(url: str, max_size: int = WRITE_POOL_SIZE) -> asyncpg.Pool:
    """The pool of a process's autocommit writes (persistence/writes/group_commit.py), each
    statement planned once per connection (decision 5002): PostgreSQL's default plans a
    prepared statement anew on every run while its plan for the values at hand looks cheaper
    than the generic one, and for the write statement (a dozen CTEs, its events' JSON as
    parameters folded in and copied) that planning was half of PostgreSQL's CPU per command.
    Every write statement finds its rows by key, so the generic plan is the right one for all
    values; reads keep the default on their own pool. A row lock is waited for `WRITE_LOCK_WAIT`
    at most: group commit runs such a write again, off its lane, without the bound."""
    return await create_pool(
        url,
        min_size=1,
        max_size=max_size,
        server_settings={"plan_cache_mode": "force_generic_plan", "lock_timeout": WRITE_LOCK_WAIT},
        reset=keep_session,
    )


#: How long closing a pool may wait for its connections at shutdown.
POOL_CLOSE_SECONDS = 2.0


async def close_pool(pool: asyncpg.Pool) -> None:
    """Close `pool`, waiting at most POOL_CLOSE_SECONDS for its connections."""
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(pool.close(), POOL_CLOSE_SECONDS)


async def connect(url: str) -> asyncpg.Connection:
    """A single connection with the same codecs (LISTEN needs a dedicated one)."""
    connection = await asyncpg.connect(asyncpg_dsn(url))
    await _init_connection(connection)
    return connection


def run_with_pool(url: str, action: Callable[[asyncpg.Pool], Awaitable[T]]) -> T:
    """Run `action` with a small pool from synchronous code (the CLI), closing the pool after."""

    async def main() -> T:
        pool = await create_pool(url, min_size=1, max_size=2)
        try:
            return await action(pool)
        finally:
            await pool.close()

    return asyncio.run(main())
