"""Session-wide real services: PostgreSQL (embedded or DATABASE_URL) and the Kafka-protocol
broker (embedded or KAFKA_BOOTSTRAP_SERVERS), a freshly migrated database per test session,
and a live uvicorn server for tests that speak real HTTP."""

import asyncio
import os
import shutil
import socket
import sys
import tempfile
import threading
import time
import traceback
import uuid
import warnings
from collections.abc import AsyncIterator, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING

import anyio
import anyio._backends._asyncio  # the backend the servers' threads use, imported here too
import anyio.abc
import pytest

from tests.support.clock import loop_clock  # noqa: F401 - a fixture for every test

# The app, the database driver, the HTTP client and the server are imported where a fixture or
# LiveServer first needs them (issue 75): pytest-xdist's controller process loads this file and
# runs no test, and its load (1.5 s with them) comes before any worker starts.
if TYPE_CHECKING:
    import asyncpg
    import httpx
    from fastapi import FastAPI

    from infinite_scribe.settings.settings import Settings

# Every thread's stack, printed for a test hung past its own timeout (tests/support/hang_dump.py).
pytest_plugins = ["tests.support.hang_dump"]

# anyio imports its submodules lazily, on first use, and pytest rewrites (compiles) every module
# of a distribution with a pytest11 entry point, anyio's included even with `-p no:anyio`.
# CPython 3.11's compile() is not thread-safe: a first lazy import in the live server's thread
# while the main thread compiled a test module failed with "AST constructor recursion depth
# mismatch" (a /docs-assets answer cut after its headers). So every lazy name is resolved here,
# in the main thread, before any server thread starts.
with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # deprecated aliases warn when resolved
    for _module in (anyio, anyio.abc):
        for _name in dir(_module):
            getattr(_module, _name)

TEST_JWT_SECRET = "test-secret-key-that-is-long-enough-0123456789"
TEST_TOPIC = "domain-events"

# Commands find a running `scribe up` through $SCRIBE_DATA_DIR/services.json and read `.env`
# (issue 12): a developer's own `make run` or .env must not leak into the tests.
os.environ["SCRIBE_DATA_DIR"] = str(Path(tempfile.gettempdir()) / f"scribe-test-{os.getpid()}")
os.environ["SCRIBE_ENV_FILE"] = ""

ALL_TABLES = (
    "session_finishes",
    "session_restores",
    "outline_parts",
    "proposal_inputs",
    "novel_chapters",
    "novel_exports",
    "relay_members",
    "worker_registry",
    "operator_audit",
    "dead_letter_dispositions",
    "processed_messages",
    "continuity_attempts",
    "stream_tickets",
    "stream_follows",
    "idempotency_cache",
    "genesis_sessions",
    "novels",
    "flow_resume_handles",
    "event_outbox",
    "async_tasks",
    "command_inbox",
    "domain_events",
)


@pytest.fixture(scope="session")
def postgres_server_url() -> Iterator[str]:
    """A PostgreSQL server: DATABASE_URL when set, else an embedded one for this session."""
    # Imported here, not at the top: the unit tier (this conftest too) needs no server.
    from infinite_scribe.embedded.postgres import EmbeddedPostgres

    given = os.environ.get("DATABASE_URL")
    if given:
        yield given
        return
    root = Path(tempfile.mkdtemp(prefix="scribe-test-"))
    server = EmbeddedPostgres(root / "pg", database="postgres")
    url = server.start()
    try:
        yield url
    finally:
        server.stop()
        shutil.rmtree(root, ignore_errors=True)


def _admin(server_url: str, sql: str) -> None:
    import asyncpg

    async def run() -> None:
        connection = await asyncpg.connect(server_url)
        try:
            await connection.execute(sql)
        finally:
            await connection.close()

    # In a thread of its own, so async tests (with a running loop) can call it too.
    with ThreadPoolExecutor(1) as executor:
        executor.submit(asyncio.run, run()).result()


@pytest.fixture(scope="session")
def fresh_database(postgres_server_url: str) -> Iterator[object]:
    """A factory of empty databases on the test server, dropped at the end of the session."""
    from infinite_scribe.persistence.database import with_database

    created: list[str] = []

    def make() -> str:
        name = f"scribe_test_{uuid.uuid4().hex[:12]}"
        _admin(postgres_server_url, f'CREATE DATABASE "{name}"')
        created.append(name)
        return with_database(postgres_server_url, name)

    yield make
    for name in created:
        _admin(postgres_server_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def database_url(fresh_database: object) -> str:
    """The session's database, migrated to head."""
    from infinite_scribe.persistence import migrate  # lazily: alembic is 0.5 s of the unit tier

    url = fresh_database()  # type: ignore[operator]
    migrate.upgrade(url)
    return str(url)


@pytest.fixture(scope="session")
def kafka_bootstrap() -> Iterator[str]:
    from infinite_scribe.embedded.kafka import EmbeddedKafka  # lazily, as the database's
    from infinite_scribe.kafka.admin import ensure_topic

    given = os.environ.get("KAFKA_BOOTSTRAP_SERVERS")
    if given:
        ensure_topic(given, TEST_TOPIC, 6)
        yield given
        return
    broker = EmbeddedKafka()
    servers = broker.start()
    ensure_topic(servers, TEST_TOPIC, 6)
    try:
        yield servers
    finally:
        broker.stop()


@pytest.fixture(scope="session")
def settings(database_url: str, kafka_bootstrap: str) -> "Settings":
    from infinite_scribe.settings.settings import Settings

    return Settings(
        database_url=database_url,
        kafka_bootstrap_servers=kafka_bootstrap,
        kafka_topic=TEST_TOPIC,
        jwt_secret_key=TEST_JWT_SECRET,  # type: ignore[arg-type]
        relay_poll_interval=0.5,
        api_metrics_port=0,  # any free port: many API servers run at once
    )


@pytest.fixture
async def pool(database_url: str) -> AsyncIterator["asyncpg.Pool"]:
    from infinite_scribe.persistence.database import create_pool

    pool = await create_pool(database_url, min_size=1, max_size=10)
    try:
        yield pool
    finally:
        try:
            await asyncio.wait_for(pool.close(), 10)
        except TimeoutError:  # a test leaked a connection: do not hang the suite on it
            pool.terminate()


#: Who held the locks a TRUNCATE waited for (its own transactions are not listed).
_HOLDERS = """
SELECT pid, application_name, state, now() - xact_start AS open_for, left(query, 300) AS query
FROM pg_stat_activity
WHERE datname = current_database() AND pid <> pg_backend_pid() AND xact_start IS NOT NULL
"""


@pytest.fixture
async def clean_db(pool: "asyncpg.Pool") -> "asyncpg.Pool":
    """Empty every table before the test (TRUNCATE bypasses the append-only row trigger).

    A TRUNCATE waits for every lock on the tables: one that waited past `lock_timeout` names
    the transactions that held them, where a silent wait ran into the suite's timeout (once
    in CI, 180 s at this fixture, with nothing to say who held them)."""
    import asyncpg

    async with pool.acquire() as connection:
        await connection.execute("SET lock_timeout = '60s'")
        try:
            await connection.execute(f"TRUNCATE {', '.join(ALL_TABLES)} RESTART IDENTITY CASCADE")
        except asyncpg.LockNotAvailableError as error:
            holders = [dict(row) for row in await connection.fetch(_HOLDERS)]
            raise AssertionError(f"TRUNCATE waited 60 s for locks held by {holders}") from error
        finally:
            await connection.execute("RESET lock_timeout")
    return pool


class LiveServer:
    """uvicorn serving the app on a free loopback port, in a background thread."""

    def __init__(self, target: "Settings | FastAPI", port: int = 0) -> None:
        import uvicorn

        from infinite_scribe.api.app import create_app
        from infinite_scribe.settings.settings import Settings

        # The socket is bound here and handed to uvicorn: a port only picked here would be free
        # again until uvicorn binds it, after the lifespan, whose metrics listener on "any free
        # port" could be given the same port in between (seen: Errno 98 in CI).
        self.socket = socket.create_server(("127.0.0.1", port))  # SO_REUSEADDR: a restart
        self.port = self.socket.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        app = create_app(target) if isinstance(target, Settings) else target
        config = uvicorn.Config(
            app,
            host="127.0.0.1",
            port=self.port,
            log_level="warning",
            access_log=False,
            lifespan="on",
        )
        self.server = uvicorn.Server(config)
        self.server.install_signal_handlers = lambda: None  # type: ignore[method-assign]
        self.thread = threading.Thread(
            target=self.server.run, kwargs={"sockets": [self.socket]}, daemon=True
        )

    def start(self) -> None:
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("live server did not start")
            time.sleep(0.02)

    def stop(self) -> None:
        """Stop the server and wait for its thread; a server that outlives its test fails
        that test with its thread's stack, not a later one with its logs (seen in CI: the
        health test's server, its database dropped, still logging two tests later)."""
        self.server.should_exit = True
        self.thread.join(20)
        if self.thread.is_alive():
            stack = "".join(traceback.format_stack(sys._current_frames()[self.thread.ident]))
            self.server.force_exit = True  # skip waiting for open connections
            self.thread.join(10)
            self.socket.close()
            raise AssertionError(f"live server still running 20 s after stop, at:\n{stack}")
        self.socket.close()

    def __enter__(self) -> "LiveServer":
        self.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.stop()


@pytest.fixture(scope="session")
def live_server(settings: "Settings") -> Iterator[LiveServer]:
    server = LiveServer(settings)
    server.start()
    try:
        yield server
    finally:
        server.stop()


def make_token(settings: "Settings", user_id: uuid.UUID, ttl: int = 3600) -> str:
    from infinite_scribe.api.auth import create_access_token

    return create_access_token(settings, user_id, ttl)


@pytest.fixture
def user_id() -> uuid.UUID:
    return uuid.uuid4()


@pytest.fixture
async def http(
    live_server: LiveServer, settings: "Settings", user_id: uuid.UUID
) -> AsyncIterator["httpx.AsyncClient"]:
    """An HTTP client to the live server, authenticated as `user_id`."""
    import httpx

    headers = {"Authorization": f"Bearer {make_token(settings, user_id)}"}
    async with httpx.AsyncClient(base_url=live_server.url, headers=headers, timeout=30) as client:
        yield client
