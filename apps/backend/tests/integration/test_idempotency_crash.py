"""A server process killed (-9) while it holds a key: the lease expires and the work runs once."""

import asyncio
import contextlib
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import asyncpg
import httpx
import pytest

from infinite_scribe.embedded.net import free_port, wait_for_port
from infinite_scribe.settings.settings import Settings
from tests.conftest import TEST_JWT_SECRET, LiveServer, make_token
from tests.support import idempotency as idempotency_support
from tests.support.idempotency import (
    PREFIX,
    build_test_app,
)

CRASHED_LEASE_SECONDS = 5.0


async def _wait_for_claim(pool: asyncpg.Pool, key: str, within: float = 20) -> None:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        state = await pool.fetchval("SELECT state::text FROM idempotency_cache WHERE key = $1", key)
        if state == "IN_PROGRESS":
            return
        await asyncio.sleep(0.05)
    raise AssertionError("the first server never claimed the key")


@pytest.fixture
def doomed_server(database_url: str) -> Iterator[tuple[subprocess.Popen[bytes], int]]:
    """The test app in its own process, with a short lease, for the test to kill -9."""
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "JWT_SECRET_KEY": TEST_JWT_SECRET,
        "IDEMPOTENCY_LEASE_SECONDS": str(CRASHED_LEASE_SECONDS),
    }
    env.pop("KAFKA_BOOTSTRAP_SERVERS", None)
    script = Path(idempotency_support.__file__)
    process = subprocess.Popen([sys.executable, str(script), str(port)], env=env)
    try:
        wait_for_port(port)
        yield process, port
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(10)


@pytest.mark.slow
async def test_a_killed_holder_leaves_no_stuck_key(
    settings: Settings,
    pool: asyncpg.Pool,
    doomed_server: tuple[subprocess.Popen[bytes], int],
) -> None:
    process, port = doomed_server
    user, key, title = uuid.uuid4(), uuid.uuid4().hex, uuid.uuid4().hex
    headers = {"Authorization": f"Bearer {make_token(settings, user)}", "Idempotency-Key": key}
    # Another server (same database) takes over once the dead holder's lease has run out. It is
    # started before the holder claims: its start-up (about 2 s quiet, more under a loaded
    # suite) inside the 5 s lease left the lease expired when its first request came (201).
    with LiveServer(build_test_app(settings)) as server:
        async with httpx.AsyncClient(timeout=30) as doomed:
            request = asyncio.create_task(
                doomed.post(
                    f"http://127.0.0.1:{port}{PREFIX}/novels",
                    json={"title": title},
                    headers={**headers, "X-Test-Sleep": "30"},
                )
            )
            await _wait_for_claim(pool, key)
            os.kill(process.pid, signal.SIGKILL)
            await asyncio.to_thread(process.wait, 10)
            with contextlib.suppress(httpx.HTTPError):
                await request

        async with httpx.AsyncClient(base_url=server.url, headers=headers, timeout=30) as http:
            busy = await http.post(f"{PREFIX}/novels", json={"title": title})
            assert busy.status_code == 409
            assert busy.json()["error_code"] == "IDEMPOTENCY_KEY_IN_USE"
            await asyncio.sleep(float(busy.headers["retry-after"]) + 0.2)
            taken = await http.post(f"{PREFIX}/novels", json={"title": title})
            assert taken.status_code == 201
            assert "idempotent-replayed" not in taken.headers
            replay = await http.post(f"{PREFIX}/novels", json={"title": title})
            assert replay.headers["idempotent-replayed"] == "true"
            assert replay.content == taken.content
    count = await pool.fetchval("SELECT count(*) FROM novels WHERE title = $1", title)
    assert count == 1
