"""Benchmark: POST requests/s without an idempotency key and with a fresh key on every request.

Starts the API (the real app and middleware) in a uvicorn subprocess against PostgreSQL
(DATABASE_URL, else an embedded server) with two benchmark routes:
- `command`: what a command does, in one transaction: a `command_inbox` row, one event appended
  as the events part of a write (domain_events + outbox), then a NOTIFY after the commit;
- `insert`: a single INSERT, the lightest possible write (the worst case for the overhead).
32 concurrent clients drive each route without keys and with a fresh key per request, the modes
alternating in rounds so both see the same machine. The target (at most 10% fewer requests/s
with keys, issue 40) applies to `command`; bench/commands.py measures the command API itself
with and without keys. Ends with one JSON line (with the load average).

    .venv/bin/python bench/idempotency.py [--seconds 4] [--rounds 3] [--clients 32] [--redis-url U]
"""

import argparse
import asyncio
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import aiohttp

from infinite_scribe.api.auth import create_access_token
from infinite_scribe.embedded.net import free_port, wait_for_port
from infinite_scribe.embedded.postgres import EmbeddedPostgres
from infinite_scribe.persistence import migrate
from infinite_scribe.settings.settings import Settings

ROUTES = {"command": "/api/v1/bench/commands", "insert": "/api/v1/bench/novels"}
SECRET = "bench-secret-key-that-is-long-enough-0123456789"
TARGET_MAX_DROP = 0.10


def serve(port: int) -> None:
    """The server side (run in its own process): the app plus one benchmark route."""
    from typing import Annotated

    import asyncpg
    import uvicorn
    from fastapi import APIRouter, Depends, Request
    from pydantic import BaseModel

    from infinite_scribe.api.app import create_app
    from infinite_scribe.api.deps import CurrentUser, services_of
    from infinite_scribe.application.ports.writes import Write
    from infinite_scribe.persistence.outbox.notifier import notify
    from infinite_scribe.persistence.writes.composer import WriteComposer
    from shared_types import EventEnvelope, EventMetadata

    async def pool_of(request: Request) -> asyncpg.Pool:
        return services_of(request.app).pool

    PoolDep = Annotated[asyncpg.Pool, Depends(pool_of)]

    class NovelIn(BaseModel):
        title: str

    router = APIRouter()
    composer = WriteComposer("domain-events")

    @router.post(ROUTES["insert"], status_code=201)
    async def create(body: NovelIn, pool: PoolDep, user: CurrentUser) -> dict[str, str]:
        novel_id = await pool.fetchval(
            "INSERT INTO novels (user_id, title) VALUES ($1, $2) RETURNING id", user, body.title
        )
        return {"id": str(novel_id), "title": body.title}

    @router.post(ROUTES["command"], status_code=202)
    async def command(body: NovelIn, pool: PoolDep, user: CurrentUser) -> dict[str, str]:
        session_id = uuid.uuid4()
        async with pool.acquire() as connection, connection.transaction():
            command_id = await connection.fetchval(
                "INSERT INTO command_inbox (session_id, user_id, command_type, idempotency_key) "
                "VALUES ($1, $2, 'RequestConceptGeneration', $3) RETURNING id",
                session_id,
                user,
                uuid.uuid4().hex,
            )
            event = EventEnvelope(
                event_type="Genesis.Session.ConceptGenerationRequested",
                aggregate_type="GENESIS_SESSION",
                aggregate_id=str(session_id),
                correlation_id=command_id,
                payload={"stage": "CONCEPT_SELECTION", "title": body.title},
                metadata=EventMetadata(user_id=str(user), source_service="bench"),
                aggregate_version=1,
            )
            await composer.write(connection, Write(events=[event]))
        await notify(pool)  # after the commit, as the application wakes the relay
        return {"command_id": str(command_id), "status": "RECEIVED"}

    app = create_app(Settings())
    app.include_router(router)
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)


async def drive(
    url: str, token: str, clients: int, seconds: float, keyed: bool, route: str
) -> float:
    """Requests/s over `seconds` with `clients` concurrent connections."""
    done = 0
    errors = 0
    deadline = time.monotonic() + seconds
    connector = aiohttp.TCPConnector(limit=clients)
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    async with aiohttp.ClientSession(base_url=url, headers=headers, connector=connector) as http:

        async def client() -> None:
            nonlocal done, errors
            while time.monotonic() < deadline:
                extra = {"Idempotency-Key": uuid.uuid4().hex} if keyed else {}
                body = json.dumps({"title": "bench"})
                async with http.post(route, data=body, headers=extra) as answer:
                    await answer.read()
                    if answer.status in (201, 202):
                        done += 1
                    else:
                        errors += 1

        started = time.monotonic()
        await asyncio.gather(*(client() for _ in range(clients)))
        elapsed = time.monotonic() - started
    if errors:
        raise RuntimeError(f"{errors} requests failed")
    return done / elapsed


async def measure(url: str, token: str, args: argparse.Namespace) -> dict[str, list[float]]:
    runs: dict[str, list[float]] = {}
    for name, route in ROUTES.items():
        for keyed in (False, True):  # warm up both paths
            await drive(url, token, args.clients, 1.0, keyed, route)
        for round_number in range(args.rounds):
            # Alternate which mode goes first, so drift on a shared machine hits both alike.
            order = (False, True) if round_number % 2 == 0 else (True, False)
            for keyed in order:
                mode = f"{name}_{'keyed' if keyed else 'plain'}"
                rate = await drive(url, token, args.clients, args.seconds, keyed, route)
                runs.setdefault(mode, []).append(rate)
                print(f"round {round_number + 1} {mode:>13}: {rate:8.1f} requests/s", flush=True)
    return runs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=2.5)
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--redis-url", help="use the Redis idempotency store at this URL")
    parser.add_argument("--serve", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.serve)
        return

    workdir = Path(tempfile.mkdtemp(prefix="scribe-bench-idem-"))
    postgres = None
    database_url = os.environ.get("DATABASE_URL")
    if not database_url:
        postgres = EmbeddedPostgres(workdir / "pg", database="bench_idempotency")
        database_url = postgres.start()
    server = None
    try:
        migrate.upgrade(database_url)
        port = free_port()
        env = {**os.environ, "DATABASE_URL": database_url, "JWT_SECRET_KEY": SECRET}
        env.pop("KAFKA_BOOTSTRAP_SERVERS", None)
        if args.redis_url:
            env.update({"IDEMPOTENCY_BACKEND": "redis", "REDIS_URL": args.redis_url})
        server = subprocess.Popen([sys.executable, __file__, "--serve", str(port)], env=env)
        wait_for_port(port, 60)  # a loaded machine imports the app slowly
        settings = Settings(jwt_secret_key=SECRET)  # type: ignore[arg-type]
        token = create_access_token(settings, uuid.uuid4(), 3600)
        runs = asyncio.run(measure(f"http://127.0.0.1:{port}", token, args))
    finally:
        if server is not None:
            server.terminate()
            server.wait(10)
        if postgres is not None:
            postgres.stop()
        shutil.rmtree(workdir, ignore_errors=True)

    backend = "redis" if args.redis_url else "postgres"
    rates = {mode: sum(values) / len(values) for mode, values in runs.items()}
    result: dict[str, object] = {
        "bench": "idempotency",
        "backend": backend,
        "clients": args.clients,
    }
    ratios = {}
    for name in ROUTES:
        plain, keyed = rates[f"{name}_plain"], rates[f"{name}_keyed"]
        # Each round ran both modes back to back: the median of those paired ratios is far less
        # sensitive to other load on a shared machine than the ratio of the means.
        paired = sorted(
            k / p for p, k in zip(runs[f"{name}_plain"], runs[f"{name}_keyed"], strict=True)
        )
        ratio = statistics.median(paired)
        ratios[name] = ratio
        print(
            f"{name}: {plain:.1f} requests/s without keys, {keyed:.1f} with a fresh key each; "
            f"median paired ratio {ratio:.3f} ({(1 - ratio) * 100:.1f}% fewer; "
            f"rounds {paired[0]:.2f}..{paired[-1]:.2f})"
        )
        result.update(
            {
                f"{name}_plain_rps": round(plain, 1),
                f"{name}_keyed_rps": round(keyed, 1),
                f"{name}_ratio": round(ratio, 3),
            }
        )
    drop = 1 - ratios["command"]
    result.update(
        {
            "drop_pct": round(drop * 100, 1),
            "target_max_drop_pct": TARGET_MAX_DROP * 100,
            "ok": drop <= TARGET_MAX_DROP,
            "seconds_per_run": args.seconds,
            "rounds": args.rounds,
            "load_average": round(os.getloadavg()[0], 1),
        }
    )
    print(json.dumps(result))


if __name__ == "__main__":
    main()
