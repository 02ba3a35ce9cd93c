"""Exports of long chapters are jobs (issue 79 X1): two writers export 22-chapter novels of
60,000 characters a chapter as EPUB at once, beside another writer reading a session's history
and exporting a short novel's EPUB. The long books answer at once with their export job's task
(202: built in the export's build process, outside the request and its render slots); the
other writer is answered every time, never 503. Before: the long books were rendered in the
requests (about 1.5 s of CPU a chapter of short lines), both 503
DEADLINE_EXCEEDED, and the other writer's EPUB and history 503 SERVER_BUSY meanwhile."""

import asyncio
import uuid
from typing import Any

import asyncpg
import httpx
import pytest

from infinite_scribe.settings.settings import Settings
from tests.conftest import LiveServer, make_token
from tests.integration.test_novels import finished_novel
from tests.support.chapter_api import NOVELS
from tests.support.genesis_client import BASE, new_session

pytestmark = pytest.mark.slow

EPUB = {"Accept": "application/epub+zip"}
CHAPTERS = 22
#: 60,000 characters of short lines: markdown's slowest ordinary shape (a break per line).
LONG = ("x\n" * 30_000)[:60_000]


async def long_novel(http: httpx.AsyncClient, pool: asyncpg.Pool) -> str:
    outline = [{"title": f"Chapter {n}", "summary": "s"} for n in range(1, CHAPTERS + 1)]
    stages: dict[str, dict[str, Any]] = {
        "CONCEPT_SELECTION": {"title": "Long lines", "logline": "l"},
        "STORY_CONCEPTION": {"premise": "p"},
        "WORLDVIEW": {"setting": "w"},
        "CHARACTERS": {"characters": [{"name": "Mara", "role": "lead"}]},
        "PLOT_OUTLINE": {"chapters": outline},
    }
    session_id = await new_session(http)
    for stage, data in stages.items():
        body = {"command_type": "ConfirmStage", "payload": {"stage": stage, "data": data}}
        reply = await http.post(f"{BASE}/{session_id}/commands", json=body)
        assert reply.status_code == 200, reply.text
    novel_id = str((await http.get(f"{BASE}/{session_id}/state")).json()["novel_id"])
    await pool.execute(  # the projection as the confirmations leave it
        "INSERT INTO novel_chapters (novel_id, number, status, text) "
        "SELECT $1::uuid, n, 'CONFIRMED', $2 FROM generate_series(1, $3::int) AS n",
        novel_id,
        LONG,
        CHAPTERS,
    )
    return novel_id


def _client(server: LiveServer, settings: Settings) -> httpx.AsyncClient:
    headers = {"Authorization": f"Bearer {make_token(settings, uuid.uuid4())}"}
    return httpx.AsyncClient(base_url=server.url, headers=headers, timeout=120.0)


async def _reader(
    http: httpx.AsyncClient, session: str, novel: str, done: asyncio.Event
) -> list[int]:
    """The other writer: history and a short novel's EPUB, again and again until `done`."""
    statuses: list[int] = []
    while not done.is_set():
        history = await http.get(f"{BASE}/{session}/history")
        book = await http.get(f"{NOVELS}/{novel}", headers=EPUB)
        statuses += [history.status_code, book.status_code]
    return statuses


async def test_two_long_exports_beside_another_writers_history_and_epub(
    live_server: LiveServer, settings: Settings, pool: asyncpg.Pool
) -> None:
    async with (
        _client(live_server, settings) as first,
        _client(live_server, settings) as second,
        _client(live_server, settings) as other,
    ):
        books = [await long_novel(first, pool), await long_novel(second, pool)]
        session, short = await finished_novel(other)
        done = asyncio.Event()
        reading = asyncio.create_task(_reader(other, str(session), short, done))
        try:
            exports = await asyncio.gather(
                *(
                    w.get(f"{NOVELS}/{b}", headers=EPUB)
                    for w, b in zip((first, second), books, strict=True)
                )
            )
            await asyncio.sleep(1.0)  # the other writer reads on while the builds run
        finally:
            done.set()
            statuses = await reading
        assert [e.status_code for e in exports] == [202, 202], [e.text[:200] for e in exports]
        assert statuses and set(statuses) == {200}, statuses
        # Jobs, each with its task (their builds, ~33 s of CPU each niced on a shared machine,
        # are not waited for: the job's build and download are test_export_jobs.py's).
        for writer, export in zip((first, second), exports, strict=True):
            task = (await writer.get(f"/api/v1/tasks/{export.json()['task_id']}")).json()
            assert (task["task_type"], task["status"]) == ("EXPORT_NOVEL", "RUNNING"), task
