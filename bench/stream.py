"""Live stream benchmark: N concurrent SSE clients (100, 500, 1,000) following many sessions
while events are committed at a steady rate; commit-to-client latency p50/p99, and the API's
memory per idle client. Prints its figures, then one JSON line.

The API runs as its own process (`scribe api`, uvloop + httptools, as in production); events
are committed straight as the events part of a write (the command path's statement: event
and outbox row in one transaction, then a NOTIFY after the commit). Clients are minimal asyncio
HTTP readers so the client side costs little CPU on a small machine.

Environment: BENCH_CLIENTS ("100,500,1000"), BENCH_SESSIONS (100), BENCH_RATE (200 events/s),
BENCH_SECONDS (15 per run); DATABASE_URL to use an existing server (a scratch database is
created on it and dropped), else an embedded PostgreSQL.
"""

import asyncio
import json
import os
import secrets
import statistics
import time
import uuid

import asyncpg
import psutil

from _harness import api_port
from _services import fresh_database
from infinite_scribe.api.auth import create_access_token
from infinite_scribe.application.ports.writes import Write
from infinite_scribe.domain.genesis import AGGREGATE_TYPE
from infinite_scribe.persistence.database import create_pool
from infinite_scribe.persistence.outbox.notifier import notify
from infinite_scribe.persistence.writes.composer import WriteComposer
from infinite_scribe.settings.settings import Settings
from shared_types import EventEnvelope, EventMetadata

CLIENTS = [int(n) for n in os.environ.get("BENCH_CLIENTS", "100,500,1000").split(",")]
SESSIONS = int(os.environ.get("BENCH_SESSIONS", "100"))
RATE = float(os.environ.get("BENCH_RATE", "200"))
SECONDS = float(os.environ.get("BENCH_SECONDS", "15"))
WRITERS = 8
SECRET = secrets.token_urlsafe(48)
COMPOSER = WriteComposer("domain-events")


def api_env(url: str) -> dict[str, str]:
    """The API alone (no broker): one bench user holds every stream, so the per-user cap of
    issue 21 is lifted for it."""
    env = os.environ | {"DATABASE_URL": url, "JWT_SECRET_KEY": SECRET, "LOG_LEVEL": "WARNING"}
    env |= {"STREAM_MAX_PER_USER": "100000", "API_METRICS_PORT": "0"}
    env.pop("KAFKA_BOOTSTRAP_SERVERS", None)
    return env


def event(session: str, version: int) -> EventEnvelope:
    return EventEnvelope(
        event_type="Genesis.Session.StageConfirmed",
        aggregate_type=AGGREGATE_TYPE,
        aggregate_id=session,
        aggregate_version=version,
        correlation_id=uuid.uuid4(),
        payload={"stage": "bench", "n": version},
        metadata=EventMetadata(user_id="bench", source_service="bench", request_id="bench"),
    )


class Client:
    """A bare SSE reader: one GET, then every `id:` line is a received event."""

    def __init__(self, port: int, session: str, token: str, received: dict[int, float]) -> None:
        self.port, self.session, self.token, self.received = port, session, token, received
        self.ready = asyncio.Event()

    async def run(self) -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", self.port)
        writer.write(
            f"GET /api/v1/events/stream?context_id={self.session} HTTP/1.1\r\n"
            f"Host: bench\r\nAuthorization: Bearer {self.token}\r\n"
            "Accept: text/event-stream\r\n\r\n".encode()
        )
        try:
            status = await reader.readline()
            if b" 200 " not in status:
                raise RuntimeError(f"stream refused: {status!r}")
            while line := await reader.readline():
                if line.startswith(b"retry:"):
                    self.ready.set()
                elif line.startswith(b"id: "):
                    self.received.setdefault(int(line[4:]), time.perf_counter())
        finally:
            writer.close()


async def create_sessions(pool: asyncpg.Pool, user: uuid.UUID, count: int) -> list[str]:
    ids = [uuid.uuid4() for _ in range(count)]
    await pool.executemany(
        "INSERT INTO genesis_sessions (id, user_id) VALUES ($1, $2)", [(i, user) for i in ids]
    )
    return [str(i) for i in ids]


async def write(
    pool: asyncpg.Pool, sessions: list[str], committed: dict[int, tuple[str, float]], stop: float
) -> None:
    """RATE events/s over WRITERS concurrent writers, one transaction each, round-robin over
    the sessions. The clock starts when COMMIT is sent (so latency includes the commit)."""
    versions = dict.fromkeys(sessions, 0)

    async def writer(offset: int) -> None:
        interval, n = WRITERS / RATE, 0
        start = time.perf_counter() + offset / RATE
        while time.perf_counter() < stop:
            session = sessions[(n * WRITERS + offset) % len(sessions)]
            versions[session] += 1
            async with pool.acquire() as connection:
                transaction = connection.transaction()
                await transaction.start()
                written = Write(events=[event(session, versions[session])])
                [event_id] = await COMPOSER.write(connection, written)
                sent = time.perf_counter()
                await transaction.commit()
                await notify(connection)  # after the commit, as the application wakes them
            committed[event_id] = (session, sent)
            n += 1
            await asyncio.sleep(max(0.0, start + n * interval - time.perf_counter()))

    await asyncio.gather(*(writer(offset) for offset in range(WRITERS)))


async def hold_idle(
    port: int, session: str, token: str, clients: int, api: psutil.Process | None = None
) -> int:
    """Open `clients` silent streams, measure the API's RSS, close them; return the RSS."""
    silent = [Client(port, session, token, {}) for _ in range(clients)]
    tasks = [asyncio.create_task(c.run()) for c in silent]
    await asyncio.wait_for(asyncio.gather(*(c.ready.wait() for c in silent)), 120)
    await asyncio.sleep(2)
    rss = api.memory_info().rss if api is not None else 0
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    await asyncio.sleep(1)
    return rss


async def run(url: str, port: int, api: psutil.Process, clients: int) -> dict[str, float]:
    user = uuid.uuid4()
    token = create_access_token(
        Settings(jwt_secret_key=SECRET),  # type: ignore[arg-type]
        user,
        3600,
    )
    pool = await create_pool(url, min_size=2, max_size=8)
    try:
        sessions = await create_sessions(pool, user, SESSIONS)
        idle = await create_sessions(pool, user, 1)
        # Idle memory, on a fresh API process: 20 streams opened and closed (warms the code
        # paths), a baseline, then `clients` silent streams held open. Memory freed by earlier
        # streams would be reused and hide the cost, hence one API process per run.
        await hold_idle(port, idle[0], token, 20)
        rss_before = api.memory_info().rss
        rss_open = await hold_idle(port, idle[0], token, clients, api)
        per_idle_kib = (rss_open - rss_before) / clients / 1024
        # Latency: `clients` streams over SESSIONS sessions while events are committed.
        per_client: list[dict[int, float]] = [{} for _ in range(clients)]
        readers = [
            Client(port, sessions[n % SESSIONS], token, per_client[n]) for n in range(clients)
        ]
        tasks = [asyncio.create_task(c.run()) for c in readers]
        await asyncio.wait_for(asyncio.gather(*(c.ready.wait() for c in readers)), 120)
        committed: dict[int, tuple[str, float]] = {}
        cpu_before = sum(api.cpu_times()[:2])
        await write(pool, sessions, committed, time.perf_counter() + SECONDS)
        await asyncio.sleep(2)  # let the last events arrive
        cpu = sum(api.cpu_times()[:2]) - cpu_before
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    finally:
        await pool.close()
    latencies, missing = [], 0
    by_session: dict[str, list[int]] = {}
    for event_id, (session, _) in committed.items():
        by_session.setdefault(session, []).append(event_id)
    for n, got in enumerate(per_client):
        for event_id in by_session.get(sessions[n % SESSIONS], []):
            if event_id in got:
                latencies.append(max(0.0, got[event_id] - committed[event_id][1]) * 1000)
            else:
                missing += 1
    latencies.sort()
    return {
        "clients": clients,
        "events": len(committed),
        "events_per_s": len(committed) / SECONDS,
        "deliveries": len(latencies),
        "missing": missing,
        "p50_ms": statistics.median(latencies) if latencies else float("nan"),
        "p99_ms": latencies[int(len(latencies) * 0.99) - 1] if latencies else float("nan"),
        "max_ms": latencies[-1] if latencies else float("nan"),
        "idle_kib_per_client": per_idle_kib,
        "api_cpu_s_per_s": cpu / SECONDS,
    }


def main() -> None:
    results = []
    with fresh_database() as url:  # migrated
        for clients in CLIENTS:
            with api_port(api_env(url)) as (port, pid):
                result = asyncio.run(run(url, port, psutil.Process(pid), clients))
                results.append(result)
                print(
                    f"{clients:5d} clients, {result['events_per_s']:.0f} events/s over "
                    f"{SESSIONS} sessions: latency p50 {result['p50_ms']:.1f} ms, "
                    f"p99 {result['p99_ms']:.1f} ms, max {result['max_ms']:.1f} ms, "
                    f"missing {result['missing']}; idle memory "
                    f"{result['idle_kib_per_client']:.1f} KiB/client; "
                    f"API CPU {result['api_cpu_s_per_s']:.2f} s/s",
                    flush=True,
                )
    print(json.dumps({"bench": "stream", "results": results}))


if __name__ == "__main__":
    main()
