"""How soon a confirmed chapter's findings appear (bench/continuity.py, part 4): `scribe api`,
`scribe relay` and `scribe worker` (the offline writer) as processes of their own on a fresh
database and broker; a writer drafts and confirms chapters one after another, and the time from
the confirmation's 200 to its check in `GET /novels/{id}/memory` (the memory's version moved)
is measured per chapter. Target: <= 2 s on the 2-core machine."""

import asyncio
import time
from contextlib import ExitStack
from typing import Any

import httpx

from _harness import (
    HOST,
    api_port,
    background,
    bench_user,
    finished_novel,
    percentile,
    services,
    system_env,
)


async def _command(http: httpx.AsyncClient, novel: str, kind: str, payload: Any) -> Any:
    body = {"command_type": kind, "payload": payload}
    reply = await http.post(f"/api/v1/novels/{novel}/commands", json=body)
    assert reply.status_code in (200, 202), reply.text
    return reply.json()


async def _version(http: httpx.AsyncClient, novel: str) -> int:
    return int((await http.get(f"/api/v1/novels/{novel}/memory")).json()["version"])


async def _one(http: httpx.AsyncClient, novel: str, chapter: int) -> float:
    """Draft, confirm as the writer rewrote it, then the seconds until its check shows."""
    task = (await _command(http, novel, "RequestChapterDraft", {"chapter": chapter}))["task_id"]
    while (await http.get(f"/api/v1/tasks/{task}")).json()["status"] != "COMPLETED":  # noqa: ASYNC110 - polling the API, as a writer's client does
        await asyncio.sleep(0.05)
    before = await _version(http, novel)
    text = "Ilya was killed in the storm." if chapter == 1 else f'"Go," said Ilya, in {chapter}.'
    await _command(http, novel, "ConfirmChapter", {"chapter": chapter, "text": text})
    confirmed = time.monotonic()
    while await _version(http, novel) == before:
        if time.monotonic() - confirmed > 60:
            raise RuntimeError(f"chapter {chapter} was never checked")
        await asyncio.sleep(0.02)
    return time.monotonic() - confirmed


async def _scenario(port: int, headers: dict[str, str], chapters: int) -> list[float]:
    async with httpx.AsyncClient(
        base_url=f"http://{HOST}:{port}", headers=headers, timeout=60
    ) as http:
        novel = await finished_novel(http, chapters)
        delays = [await _one(http, novel, n) for n in range(1, chapters + 1)]
        found = (await http.get(f"/api/v1/novels/{novel}/findings")).json()["findings"]
        assert len(found) == chapters - 1, found  # Ilya acts in every chapter after his death
        return delays


def findings_delay(chapters: int) -> dict[str, float]:
    user = bench_user()
    secret, headers = user.secret, user.headers
    with services() as (database_url, servers), ExitStack() as stack:
        env = system_env(
            database_url,
            servers,
            secret,
            API_METRICS_PORT="0",
            LLM_PROVIDER="offline",
        )
        stack.enter_context(background("relay", env))
        stack.enter_context(background("worker", env))
        port, _ = stack.enter_context(api_port(env))
        delays = asyncio.run(_scenario(port, headers, chapters))
    return {"chapters": chapters, "p50_s": percentile(delays, 0.5), "max_s": max(delays)}
