"""The embedded launchers start, answer, and stop without leaving processes behind."""

import asyncio
import os
import shutil
import tempfile
from pathlib import Path

import asyncpg
import pytest

from infinite_scribe.embedded.kafka import EmbeddedKafka, port_open
from infinite_scribe.embedded.postgres import EmbeddedPostgres
from infinite_scribe.kafka.admin import admin_client, ensure_topic
from infinite_scribe.kafka.cluster import broker_problem


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie (exited, not yet reaped by its parent) is not a running process.
    try:
        state = Path(f"/proc/{pid}/stat").read_text().split()[2]
    except OSError:
        return False
    return state != "Z"


def test_kafka_broker_starts_answers_and_stops() -> None:
    broker = EmbeddedKafka()
    servers = broker.start()
    pid = broker.pid
    assert pid is not None and _alive(pid)
    try:
        assert broker_problem(admin_client(servers), None, 5) is None
        ensure_topic(servers, "launcher-test", 2)
        ensure_topic(servers, "launcher-test", 2)  # idempotent
        assert "launcher-test" in admin_client(servers).list_topics(timeout=5).topics
    finally:
        broker.stop()
    assert not _alive(pid)
    assert not port_open("127.0.0.1", broker.port)
    broker.stop()  # stopping twice is harmless


@pytest.mark.skipif(bool(os.environ.get("DATABASE_URL")), reason="tests an embedded server")
def test_postgres_starts_answers_keeps_data_and_stops() -> None:
    root = Path(tempfile.mkdtemp(prefix="scribe-launcher-"))
    try:
        server = EmbeddedPostgres(root / "pg", database="launcher")
        url = server.start()
        pid = server.pid
        assert pid is not None and _alive(pid)

        async def write_and_read(sql: str) -> object:
            connection = await asyncpg.connect(url)
            try:
                return await connection.fetchval(sql)
            finally:
                await connection.close()

        asyncio.run(write_and_read("CREATE TABLE kept AS SELECT 42 AS answer"))
        server.stop()
        assert not _alive(pid)
        # Restarted on the same data directory: the data is still there.
        again = EmbeddedPostgres(root / "pg", database="launcher")
        url = again.start()
        assert asyncio.run(write_and_read("SELECT answer FROM kept")) == 42
        again.stop()
    finally:
        shutil.rmtree(root, ignore_errors=True)
