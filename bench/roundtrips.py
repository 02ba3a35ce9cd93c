"""Round trips per command, counted: the real API app (in process, over ASGI) on a fresh
database, every pooled connection counting the statements it sends (asyncpg query loggers,
BEGIN and COMMIT included). A walk of commands without and with a fresh X-Idempotency-Key each;
asyncpg's one-time type lookups are warmed up first and not counted. The relay wake-up (one
coalesced NOTIFY on its own connection, decision 1000) is reported apart.

Usage: python bench/roundtrips.py   (BENCH_ROUNDTRIP_SESSIONS, default 20)
Target (issue 20): at most 2 round trips per command, keyed or not.
"""

import asyncio
import json
import os
import secrets
import time
import uuid
from collections import Counter
from typing import Any

import asyncpg
import httpx

from _services import broker, fresh_database
from infinite_scribe.api.app import create_app
from infinite_scribe.api.auth import create_access_token
from infinite_scribe.persistence import database
from infinite_scribe.settings.settings import Settings

STAGES = ("CONCEPT_SELECTION", "STORY_CONCEPTION", "WORLDVIEW", "CHARACTERS", "PLOT_OUTLINE")
WALK: list[dict[str, Any]] = [
    {"command_type": "RequestConceptGeneration", "payload": {}},
    *(
        {"command_type": "ConfirmStage", "payload": {"stage": s, "data": {"title": "Bench"}}}
        for s in STAGES
    ),
]
#: asyncpg's own catalogue queries (once per connection and type), not the application's.
_INTROSPECTION = ("WITH RECURSIVE typeinfo_tree", "SELECT\n                        current_setting")
#: The live-stream hub's feed read (one per relay wake-up for every open stream, whatever the
#: number of commands): reported apart.
_STREAM_FEED = "SELECT * FROM domain_events WHERE id > $1"

statements: Counter[str] = Counter()
feed_reads = 0


def _count(record: Any) -> None:
    global feed_reads
    query: str = record.query.strip()
    if query.startswith(_STREAM_FEED):
        feed_reads += 1
    elif not query.startswith(_INTROSPECTION) and "pg_catalog" not in query:
        statements[query.split()[0].upper()] += 1


_original_init = database._init_connection


async def _counting_init(connection: asyncpg.Connection) -> None:
    await _original_init(connection)
    connection.add_query_logger(_count)


async def walk(http: httpx.AsyncClient, sessions: int, keyed: bool) -> int:
    commands = 0
    cpu = 0.0
    for _ in range(sessions):
        created = await http.post("/api/v1/genesis/sessions", json={})
        assert created.status_code == 201, created.text
        path = f"/api/v1/genesis/sessions/{created.json()['session_id']}/commands"
        statements.clear()  # count commands only, not the session creation
        for body in WALK:
            headers = {"X-Idempotency-Key": str(uuid.uuid4())} if keyed else {}
            started = time.process_time()
            reply = await http.post(path, json=body, headers=headers)
            cpu += time.process_time() - started
            assert reply.status_code in (200, 202), reply.text
            commands += 1
        counted[keyed] += sum(statements.values())
        kinds[keyed].update(statements)
    cpu_ms[keyed] = 1000 * cpu / commands
    return commands


counted = {False: 0, True: 0}
#: This process's CPU per command (app + in-process HTTP client, one command at a time).
cpu_ms = {False: 0.0, True: 0.0}
kinds: dict[bool, Counter[str]] = {False: Counter(), True: Counter()}


async def measure(settings: Settings, sessions: int) -> dict[str, Any]:
    app = create_app(settings)
    token = create_access_token(settings, uuid.uuid4())
    transport = httpx.ASGITransport(app=app)
    headers = {"Authorization": f"Bearer {token}"}
    async with app.router.lifespan_context(app):
        async with httpx.AsyncClient(
            transport=transport, base_url="http://localhost", headers=headers
        ) as http:
            await walk(http, 3, False)  # warm-up: prepared statements, type lookups
            await walk(http, 3, True)
            counted.update({False: 0, True: 0})
            kinds[False].clear()
            kinds[True].clear()
            plain = await walk(http, sessions, False)
            keyed = await walk(http, sessions, True)
        notifies = app.state.services.commands.uow.notifier.sent
    return {
        "bench": "roundtrips",
        "unkeyed": round(counted[False] / plain, 2),
        "keyed": round(counted[True] / keyed, 2),
        "unkeyed_cpu_ms": round(cpu_ms[False], 3),
        "keyed_cpu_ms": round(cpu_ms[True], 3),
        "unkeyed_statements": dict(kinds[False]),
        "keyed_statements": dict(kinds[True]),
        "commands": plain + keyed,
        "notifies": notifies,
        "stream_feed_reads": feed_reads,
    }


def main() -> None:
    database._init_connection = _counting_init  # every pool the app opens counts
    sessions = int(os.environ.get("BENCH_ROUNDTRIP_SESSIONS", "20"))
    with fresh_database() as url, broker() as servers:
        settings = Settings(
            database_url=url,
            kafka_bootstrap_servers=servers,
            jwt_secret_key=secrets.token_urlsafe(48),  # type: ignore[arg-type]
        )
        result = asyncio.run(measure(settings, sessions))
    for mode in ("unkeyed", "keyed"):
        verdict = "met" if result[mode] <= 2 else "MISSED"
        print(
            f"{mode:>8}: {result[mode]:.2f} round trips per command (target <= 2: {verdict}); "
            f"statements {result[mode + '_statements']}; {result[mode + '_cpu_ms']:.2f} ms of "
            "CPU per command in this process (app + client, one at a time)"
        )
    print(
        f"          relay wake-ups: {result['notifies']} coalesced NOTIFYs for "
        f"{result['commands']} commands, on the notifier's own connection; the live-stream "
        f"hub read its feed {result['stream_feed_reads']} times (once per wake-up, any number "
        "of commands)"
    )
    print(json.dumps(result))


if __name__ == "__main__":
    main()
