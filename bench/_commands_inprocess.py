"""The API's CPU per command in process: the real app (`create_app`, its lifespan and every
middleware) called as uvicorn calls it, against a fresh database, with `walks` concurrent
session walks of bench/commands.py's mix. PostgreSQL runs in its own process, so this process's
CPU time is the app's (plus the few microseconds of this driver's ASGI calls).

    .venv/bin/python bench/_commands_inprocess.py [--walks 8] [--sessions 200] [--keyed]
        [--calls] [--profile FILE]

`--calls` counts the Python function calls per command (cProfile: the CPU figure is then
inflated, the count is not moved by the machine's load). `--profile` writes a pyinstrument text
profile of the command phase (idle time shows as the event loop's `select`).
"""

import argparse
import asyncio
import cProfile
import json
import os
import pstats
import secrets
import time
import uuid
from pathlib import Path
from typing import Any

import uvloop
from pyinstrument import Profiler

from _services import fresh_database
from commands import STEPS
from infinite_scribe.api.app import create_app
from infinite_scribe.api.auth import create_access_token
from infinite_scribe.settings.settings import Settings


class Caller:
    """One request at a time through the ASGI app, as uvicorn hands it over."""

    def __init__(self, app: Any, token: str) -> None:
        self.app = app
        self.headers = [
            (b"host", b"127.0.0.1:8000"),
            (b"authorization", f"Bearer {token}".encode()),
            (b"content-type", b"application/json"),
        ]

    async def post(
        self, path: str, body: bytes, extra: list[tuple[bytes, bytes]]
    ) -> tuple[int, bytes]:
        scope = {
            "type": "http",
            "asgi": {"version": "3.0", "spec_version": "2.3"},
            "http_version": "1.1",
            "server": ("127.0.0.1", 8000),
            "client": ("127.0.0.1", 50000),
            "scheme": "http",
            "method": "POST",
            "root_path": "",
            "path": path,
            "raw_path": path.encode(),
            "query_string": b"",
            "headers": [*self.headers, (b"content-length", b"%d" % len(body)), *extra],
            "state": {},
        }
        sent = False
        answer: dict[str, Any] = {"status": 0, "body": []}

        async def receive() -> dict[str, Any]:
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": body, "more_body": False}
            await asyncio.Event().wait()  # never: a disconnect is not simulated
            raise AssertionError

        async def send(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                answer["status"] = message["status"]
            elif message["type"] == "http.response.body":
                answer["body"].append(message.get("body", b""))

        await self.app(scope, receive, send)
        return answer["status"], b"".join(answer["body"])


async def open_sessions(caller: Caller, sessions: int) -> list[str]:
    ids = []
    for _ in range(sessions):
        status, body = await caller.post("/api/v1/genesis/sessions", b"{}", [])
        assert status == 201, body
        ids.append(json.loads(body)["session_id"])
    return ids


async def run(
    database_url: str,
    walks: int,
    sessions: int,
    keyed: bool,
    profiler: Profiler | None,
    count_calls: bool = False,
) -> dict[str, Any]:
    """`walks` concurrent walks over `sessions` fresh sessions; the app's CPU per command."""
    settings = Settings(database_url=database_url, jwt_secret_key=secrets.token_urlsafe(48))  # type: ignore[call-arg]
    token = create_access_token(settings, uuid.uuid4())
    app = create_app(settings)
    statuses: dict[int, int] = {}
    async with app.router.lifespan_context(app):
        caller = Caller(app, token)
        ids = await open_sessions(caller, sessions)

        async def walk() -> None:
            while ids:
                path = f"/api/v1/genesis/sessions/{ids.pop()}/commands"
                for body in STEPS:
                    extra = [(b"x-idempotency-key", uuid.uuid4().hex.encode())] if keyed else []
                    status, _ = await caller.post(path, body, extra)
                    statuses[status] = statuses.get(status, 0) + 1

        counter = cProfile.Profile() if count_calls else None
        cpu, wall = time.process_time(), time.perf_counter()
        if profiler:
            profiler.start()
        if counter:
            counter.enable()
        await asyncio.gather(*(walk() for _ in range(walks)))
        if counter:
            counter.disable()
        if profiler:
            profiler.stop()
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    count = sum(statuses.values())
    calls = pstats.Stats(counter).total_calls if counter else 0  # type: ignore[attr-defined]
    return {
        "python_calls_per_command": round(calls / count),
        "commands": count,
        "statuses": statuses,
        "keyed": keyed,
        "cpu_ms_per_command": round(cpu * 1000 / count, 3),
        "commands_per_s": round(count / wall, 1),
        "load_average": round(os.getloadavg()[0], 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--walks", type=int, default=8)
    parser.add_argument("--sessions", type=int, default=200)
    parser.add_argument("--keyed", action="store_true")
    parser.add_argument("--profile")
    parser.add_argument(
        "--calls",
        action="store_true",
        help="count Python function calls per command (cProfile): a figure the load cannot move",
    )
    args = parser.parse_args()
    profiler = Profiler(interval=0.0002, async_mode="disabled") if args.profile else None
    with fresh_database() as url:
        result = uvloop.run(run(url, args.walks, args.sessions, args.keyed, profiler, args.calls))
    if profiler:
        Path(args.profile).write_text(profiler.output_text(unicode=False, show_all=False))
    print(json.dumps(result))


if __name__ == "__main__":
    main()
