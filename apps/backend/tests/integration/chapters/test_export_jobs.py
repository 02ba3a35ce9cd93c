"""A novel's Markdown and EPUB as jobs (issue 54): asked for, followed as a task, downloaded;
built once per version of the novel, by one request of many, taken over from a dead process,
built again after a failure; and refused to strangers, bad input and a trashed novel."""

import asyncio
import io
import time
import uuid
import zipfile
from typing import Any
from uuid import UUID

import asyncpg
import httpx

from infinite_scribe.api.export_build import build_and_store
from infinite_scribe.api.novel_markdown import markdown_file
from infinite_scribe.application.exports import STALE_SECONDS, NovelExports
from infinite_scribe.application.ports.reads import NovelView
from infinite_scribe.application.reads import Reads
from infinite_scribe.persistence.exports.store import PostgresNovelExports
from infinite_scribe.persistence.genesis.reads import PostgresReadQueries
from infinite_scribe.settings.settings import Settings
from tests.conftest import LiveServer, make_token
from tests.integration.test_novels import finished_novel
from tests.support.chapter_api import NOVELS, error_code, novel_command
from tests.support.trash import restore, trash


async def ask(http: httpx.AsyncClient, novel_id: str, media: str = "markdown") -> httpx.Response:
    return await http.post(f"{NOVELS}/{novel_id}/exports", json={"format": media})


async def finished_task(http: httpx.AsyncClient, task_id: str) -> dict[str, Any]:
    """The task once it is no longer RUNNING (polled: the build runs beside the requests)."""
    deadline = time.monotonic() + 90  # a first build spawns its process (imports) under load
    while True:
        task = (await http.get(f"/api/v1/tasks/{task_id}")).json()
        if task["status"] != "RUNNING" or time.monotonic() > deadline:
            return task  # type: ignore[no-any-return]
        await asyncio.sleep(0.02)


async def test_an_export_is_a_task_then_a_file_served_until_the_novel_changes(
    http: httpx.AsyncClient,
) -> None:
    _, novel_id = await finished_novel(http)
    asked = await ask(http, novel_id)
    assert asked.status_code == 202, asked.text
    ticket = asked.json()
    assert ticket["ready"] is False and ticket["format"] == "markdown"
    assert ticket["task_url"] == f"/api/v1/tasks/{ticket['task_id']}"
    task = await finished_task(http, ticket["task_id"])
    assert (task["status"], task["task_type"], float(task["progress"])) == (
        "COMPLETED",
        "EXPORT_NOVEL",
        100.0,
    )
    assert task["result"]["bytes"] > 0

    file = await http.get(ticket["download_url"])
    assert file.status_code == 200 and file.headers["content-type"].startswith("text/markdown")
    assert "attachment" in file.headers["content-disposition"]
    assert file.headers["content-disposition"].endswith("filename*=UTF-8''%E9%9B%BE%E6%B8%AF.md")
    rendered = await http.get(f"{NOVELS}/{novel_id}", headers={"Accept": "text/markdown"})
    assert file.text == rendered.text  # the same renderer, stored

    again = await ask(http, novel_id)
    assert again.status_code == 200 and again.json() == ticket | {"ready": True}

    # The novel moves (a chapter asked for): the stored file is of an older version.
    assert (await novel_command(http, novel_id, "RequestChapterDraft", {"chapter": 1})).is_success
    stale = await http.get(ticket["download_url"])
    assert stale.status_code == 404 and error_code(stale) == "EXPORT_NOT_READY"
    rebuilt = await ask(http, novel_id)
    assert rebuilt.status_code == 202 and rebuilt.json()["task_id"] != ticket["task_id"]
    assert (await finished_task(http, rebuilt.json()["task_id"]))["status"] == "COMPLETED"
    assert (await http.get(ticket["download_url"])).status_code == 200


async def test_an_epub_is_a_book(http: httpx.AsyncClient) -> None:
    _, novel_id = await finished_novel(http)
    ticket = (await ask(http, novel_id, "epub")).json()
    assert (await finished_task(http, ticket["task_id"]))["status"] == "COMPLETED"
    file = await http.get(ticket["download_url"])
    assert file.status_code == 200 and file.headers["content-type"] == "application/epub+zip"
    with zipfile.ZipFile(io.BytesIO(file.content)) as book:
        assert book.read("mimetype") == b"application/epub+zip"


async def test_many_requests_at_once_claim_one_build(
    http: httpx.AsyncClient, pool: asyncpg.Pool
) -> None:
    _, novel_id = await finished_novel(http)
    # Two clients of the same writer race (a writer's own queue allows two builds; the claim
    # must still give every request the one task).
    answers = await asyncio.gather(*(ask(http, novel_id) for _ in range(8)))
    assert {a.status_code for a in answers} <= {200, 202}, [a.text for a in answers]
    task_ids = {a.json()["task_id"] for a in answers}
    assert len(task_ids) == 1
    rows = await pool.fetchval(
        "SELECT count(*) FROM async_tasks WHERE task_type = 'EXPORT_NOVEL' "
        "AND input_data->>'novel_id' = $1",
        novel_id,
    )
    assert rows == 1
    assert (await finished_task(http, task_ids.pop()))["status"] == "COMPLETED"


async def test_strangers_bad_input_and_the_trash_are_refused_and_change_nothing(
    http: httpx.AsyncClient, pool: asyncpg.Pool, live_server: LiveServer, settings: Settings
) -> None:
    session_id, novel_id = await finished_novel(http)
    headers = {"Authorization": f"Bearer {make_token(settings, uuid.uuid4())}"}
    async with httpx.AsyncClient(base_url=live_server.url, headers=headers) as stranger:
        assert (await ask(stranger, novel_id)).status_code == 404
        assert (await stranger.get(f"{NOVELS}/{novel_id}/exports/markdown")).status_code == 404
    for body in ({"format": "pdf"}, {}, {"format": "markdown", "extra": 1}, {"format": ["epub"]}):
        refused = await http.post(f"{NOVELS}/{novel_id}/exports", json=body)
        assert refused.status_code == 422, body
    assert (await http.get(f"{NOVELS}/{novel_id}/exports/pdf")).status_code == 422
    assert (await http.get(f"{NOVELS}/{novel_id}/exports/epub")).status_code == 404
    assert (await trash(http, session_id)).status_code == 200
    trashed = await ask(http, novel_id)
    assert trashed.status_code == 409 and error_code(trashed) == "SESSION_TRASHED"
    assert (
        await pool.fetchval("SELECT count(*) FROM novel_exports WHERE novel_id = $1", novel_id) == 0
    )
    assert (await restore(http, session_id)).status_code == 200
    assert (await ask(http, novel_id)).status_code == 202


async def test_a_build_whose_process_died_is_taken_over(
    http: httpx.AsyncClient, pool: asyncpg.Pool
) -> None:
    _, novel_id = await finished_novel(http)
    first = (await ask(http, novel_id)).json()
    assert (await finished_task(http, first["task_id"]))["status"] == "COMPLETED"
    # As a process that died mid-build leaves it: claimed, no file, its heartbeat old.
    await pool.execute(
        "UPDATE novel_exports SET body = NULL, built_at = NULL, "
        "heartbeat_at = now() - make_interval(secs => $2) WHERE novel_id = $1",
        novel_id,
        STALE_SECONDS + 1,
    )
    assert (await http.get(first["download_url"])).status_code == 404
    taken = await ask(http, novel_id)
    assert taken.status_code == 202 and taken.json()["task_id"] != first["task_id"]
    assert (await finished_task(http, taken.json()["task_id"]))["status"] == "COMPLETED"
    assert (await http.get(first["download_url"])).status_code == 200


async def test_a_build_that_was_not_stale_is_not_taken_over(
    http: httpx.AsyncClient, pool: asyncpg.Pool
) -> None:
    _, novel_id = await finished_novel(http)
    first = (await ask(http, novel_id)).json()
    assert (await finished_task(http, first["task_id"]))["status"] == "COMPLETED"
    # Still building, as far as the row says: a second request joins it.
    await pool.execute("UPDATE novel_exports SET body = NULL WHERE novel_id = $1", novel_id)
    joined = await ask(http, novel_id)
    assert joined.status_code == 202 and joined.json()["task_id"] == first["task_id"]


async def test_a_failed_build_fails_its_task_and_the_next_request_builds_again(
    http: httpx.AsyncClient, pool: asyncpg.Pool, user_id: UUID
) -> None:
    _, novel_id = await finished_novel(http)
    calls: list[str] = []

    def broken(novel: NovelView) -> bytes:
        calls.append(novel.title)
        if len(calls) == 1:
            raise ValueError("a renderer bug")
        return b"# fixed"

    exports = NovelExports(
        PostgresNovelExports(pool), Reads(PostgresReadQueries(pool)), {"markdown": broken}
    )
    try:
        ticket = await exports.request(UUID(novel_id), user_id, "markdown")
        task = await finished_task(http, str(ticket.task_id))
        assert task["status"] == "FAILED" and task["error"]["error_code"] == "EXPORT_FAILED"
        assert "renderer bug" not in task["error"]["message"]  # no internals to the writer
        again = await exports.request(UUID(novel_id), user_id, "markdown")
        assert again.task_id != ticket.task_id and not again.ready
        assert (await finished_task(http, str(again.task_id)))["status"] == "COMPLETED"
        assert await exports.download(UUID(novel_id), user_id, "markdown") == b"# fixed"
    finally:
        await exports.close()


async def test_the_build_reads_and_stores_on_its_own_connection(
    http: httpx.AsyncClient, pool: asyncpg.Pool, database_url: str, user_id: UUID
) -> None:
    """What the build's process runs (api/export_build.py), here in a thread: it reads the
    novel, renders and stores the file itself; a novel that is gone is False, nothing stored."""
    _, novel_id = await finished_novel(http)
    store, task_id = PostgresNovelExports(pool), uuid.uuid4()
    claim = await store.claim(UUID(novel_id), user_id, "markdown", task_id, STALE_SECONDS)
    assert claim is not None and claim.claimed
    args = (markdown_file, UUID(novel_id), user_id, "markdown", task_id)
    assert await asyncio.to_thread(build_and_store, database_url, *args)
    stored = await store.stored(UUID(novel_id), user_id, "markdown")
    assert stored is not None and stored.current and b"# " in (stored.body or b"")
    status = await pool.fetchval("SELECT status::text FROM async_tasks WHERE id = $1", task_id)
    assert status == "COMPLETED"
    gone = (markdown_file, uuid.uuid4(), user_id, "markdown", uuid.uuid4())
    assert not await asyncio.to_thread(build_and_store, database_url, *gone)


async def test_a_beat_and_the_failure_at_once_never_deadlock(
    http: httpx.AsyncClient, pool: asyncpg.Pool, user_id: UUID
) -> None:
    """A build that fails while its beat is in flight: both statements lock the export row, then
    its task (an unnamed CTE runs after the outer UPDATE, so a failure once took them the other
    way round, and PostgreSQL's deadlock check killed it: the task stayed RUNNING)."""
    _, novel_id = await finished_novel(http)
    store = PostgresNovelExports(pool)
    for _ in range(20):
        task_id = uuid.uuid4()
        claim = await store.claim(UUID(novel_id), user_id, "markdown", task_id, 0)
        assert claim is not None and claim.claimed
        async with pool.acquire() as holder, holder.transaction():
            # The beat holds the export row as a slow one would; the failure queues behind it.
            await holder.execute(
                "UPDATE novel_exports SET heartbeat_at = now() WHERE task_id = $1", task_id
            )
            beating = asyncio.create_task(store.beat(UUID(novel_id), "markdown", task_id, 50))
            await asyncio.sleep(0.02)  # the beat waits first, so it is granted the row first
            failing = asyncio.create_task(store.failed(UUID(novel_id), "markdown", task_id, "x"))
            await asyncio.sleep(0.02)
        await asyncio.gather(failing, beating)
        status = await pool.fetchval("SELECT status::text FROM async_tasks WHERE id = $1", task_id)
        assert status == "FAILED"
