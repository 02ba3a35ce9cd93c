"""A novel is read a window of chapters at a time (issue 54): `GET /novels/{id}` of a book of
1,000 chapters of 3,000 characters carries 50 chapters with their text unless asked for others,
and the same bytes at chapter 10 as at chapter 950; the console's chapters page too. Markdown
of the whole book is its export job's (202 with the task, then the stored file)."""

import asyncio
from typing import Any
from uuid import UUID

import asyncpg
import httpx

from infinite_scribe.settings.settings import Settings
from tests.conftest import LiveServer
from tests.integration.chapters.test_export_jobs import finished_task
from tests.support.chapter_api import NOVELS
from tests.support.console import signed_in
from tests.support.genesis_client import BASE, new_session

CHAPTERS = 1_000
TEXT = "守灯人在雾里数着潮声。" * 300  # 3,000 characters


async def long_novel(http: httpx.AsyncClient, pool: asyncpg.Pool) -> str:
    """A finished novel of 1,000 outlined chapters, every one confirmed with its text."""
    outline = [{"title": f"第{n}章", "summary": "潮声"} for n in range(1, CHAPTERS + 1)]
    stages: dict[str, dict[str, Any]] = {
        "CONCEPT_SELECTION": {"title": "雾港", "logline": "守灯人"},
        "STORY_CONCEPTION": {"premise": "一封来自明年的信"},
        "WORLDVIEW": {"setting": "潮水之下"},
        "CHARACTERS": {"characters": [{"name": "林舟", "role": "主角"}]},
        "PLOT_OUTLINE": {"chapters": outline},
    }
    session_id = await new_session(http)
    for stage, data in stages.items():
        body = {"command_type": "ConfirmStage", "payload": {"stage": stage, "data": data}}
        reply = await http.post(f"{BASE}/{session_id}/commands", json=body)
        assert reply.status_code == 200, reply.text
    novel_id = str((await http.get(f"{BASE}/{session_id}/state")).json()["novel_id"])
    await pool.execute(  # the projection as 1,000 confirmations leave it
        "INSERT INTO novel_chapters (novel_id, number, status, text) "
        "SELECT $1::uuid, n, 'CONFIRMED', $2 FROM generate_series(1, $3::int) AS n",
        novel_id,
        TEXT,
        CHAPTERS,
    )
    return novel_id


async def test_a_long_novel_is_read_a_window_of_chapters_at_a_time(
    http: httpx.AsyncClient, pool: asyncpg.Pool
) -> None:
    novel_id = await long_novel(http, pool)
    first = await http.get(f"{NOVELS}/{novel_id}")
    assert first.status_code == 200, first.text
    body = first.json()
    assert [c["number"] for c in body["chapters"]] == list(range(1, 51))
    assert body["chapters"][0]["text"] == TEXT and body["next_chapter"] == 51
    late = await http.get(f"{NOVELS}/{novel_id}", params={"chapter_from": 951, "chapter_limit": 50})
    assert [c["number"] for c in late.json()["chapters"]] == list(range(951, 1001))
    assert late.json()["next_chapter"] is None
    assert abs(len(late.content) - len(first.content)) < 0.01 * len(first.content)
    assert len(first.content) < 50 * len(TEXT.encode()) + 200_000  # the window and the bible
    one = await http.get(f"{NOVELS}/{novel_id}", params={"chapter_from": 500, "chapter_limit": 1})
    assert [c["number"] for c in one.json()["chapters"]] == [500]
    for params in ({"chapter_from": 0}, {"chapter_limit": 201}, {"chapter_from": "x"}):
        assert (await http.get(f"{NOVELS}/{novel_id}", params=params)).status_code == 422
    await _the_whole_book_is_its_export_jobs(http, novel_id)


async def _the_whole_book_is_its_export_jobs(http: httpx.AsyncClient, novel_id: str) -> None:
    """Markdown of more than 200 chapters is not rendered in the request: 202 with the export
    job's task (the same one asked again), then the stored file."""
    wanted = {"Accept": "text/markdown"}
    building = await http.get(f"{NOVELS}/{novel_id}", headers=wanted)
    assert building.status_code == 202, building.text
    task = building.json()
    assert building.headers["Location"] == task["task_url"] and building.headers["Retry-After"]
    again = await http.get(f"{NOVELS}/{novel_id}", headers=wanted)
    assert again.status_code in (200, 202)
    if again.status_code == 202:
        assert again.json()["task_id"] == task["task_id"]
    assert (await finished_task(http, task["task_id"]))["status"] == "COMPLETED"
    markdown = await http.get(f"{NOVELS}/{novel_id}", headers=wanted)
    assert markdown.status_code == 200 and markdown.text.count("守灯人在雾里") >= CHAPTERS * 300
    stored = await http.get(f"{NOVELS}/{novel_id}/exports/markdown")
    assert markdown.content == stored.content


async def test_the_console_shows_a_window_of_chapters_and_a_way_on(
    http: httpx.AsyncClient,
    pool: asyncpg.Pool,
    live_server: LiveServer,
    settings: Settings,
    user_id: UUID,
) -> None:
    novel_id = await long_novel(http, pool)
    async with signed_in(live_server.url, settings, user_id) as console:
        await _windows(console, novel_id)
        await _a_long_books_download(console, novel_id)


async def _a_long_books_download(console_http: httpx.AsyncClient, novel_id: str) -> None:
    """The console's EPUB of a long book: a page that asks again while the job builds it,
    then the file."""
    url = f"/console/novels/{novel_id}/download/epub"
    building = await console_http.get(url)
    assert building.status_code == 202, building.text
    assert 'http-equiv="refresh"' in building.text and "data-building=" in building.text
    task_id = building.text.split('data-building="')[1].split('"')[0]
    deadline = asyncio.get_running_loop().time() + 90
    while (book := await console_http.get(url)).status_code == 202:
        assert asyncio.get_running_loop().time() < deadline, f"task {task_id} never finished"
        await asyncio.sleep(0.2)
    assert book.status_code == 200 and book.headers["content-type"] == "application/epub+zip"
    assert book.content[:2] == b"PK" and "attachment" in book.headers["Content-Disposition"]


async def _windows(console_http: httpx.AsyncClient, novel_id: str) -> None:
    page = await console_http.get(f"/console/novels/{novel_id}/chapters")
    assert page.status_code == 200, page.text
    assert page.text.count('data-status="CONFIRMED"') == 50 and 'id="later-chapters"' in page.text
    assert "chapter_from=51" in page.text
    later = await console_http.get(
        f"/console/novels/{novel_id}/chapters", params={"chapter_from": 951}
    )
    assert later.status_code == 200 and 'id="earlier-chapters"' in later.text
    assert 'id="later-chapters"' not in later.text
    assert "第1000章" in later.text and "第950章" not in later.text
