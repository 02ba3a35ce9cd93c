"""The novel's chapter commands (issue 39): every rule of `POST /novels/{id}/commands` that
needs no agent (the agent's drafts: test_chapter_drafts.py)."""

import uuid

import asyncpg
import httpx

from infinite_scribe.settings.settings import Settings
from tests.conftest import LiveServer, make_token
from tests.integration.test_novels import finished_novel
from tests.support.chapter_api import NOVELS, chapters, error_code, novel_command
from tests.support.genesis_client import BASE, command
from tests.support.trash import purge, restore, trash


async def test_the_novel_lists_its_outline_chapters_as_planned(http: httpx.AsyncClient) -> None:
    _, novel_id = await finished_novel(http)
    found = await chapters(http, novel_id)
    assert [(c["number"], c["title"], c["summary"], c["status"]) for c in found] == [
        (1, "第1章", "来信", "PLANNED"),
        (2, "第2章", "寻人", "PLANNED"),
        (3, "第3章", "归来", "PLANNED"),
    ]
    assert all(c["text"] is None and c["beats"] == [] for c in found)


async def test_a_draft_request_is_a_task_and_one_at_a_time(http: httpx.AsyncClient) -> None:
    _, novel_id = await finished_novel(http)
    reply = await novel_command(http, novel_id, "RequestChapterDraft", {"chapter": 2})
    assert reply.status_code == 202, reply.text
    body = reply.json()
    assert body["status"] == "RECEIVED" and reply.headers["location"].endswith(body["task_id"])
    assert [c["status"] for c in await chapters(http, novel_id)] == [
        "PLANNED",
        "DRAFTING",
        "PLANNED",
    ]
    twin = await novel_command(http, novel_id, "RequestChapterDraft", {"chapter": 2})
    assert twin.status_code == 409 and error_code(twin) == "DUPLICATE_COMMAND"
    task = (await http.get(f"/api/v1/tasks/{body['task_id']}")).json()
    assert task["status"] in ("PENDING", "RUNNING")
    # One chapter written at a time: a draft of another chapter is the same pending type.
    other = await novel_command(http, novel_id, "RequestChapterDraft", {"chapter": 3})
    assert other.status_code == 409 and error_code(other) == "DUPLICATE_COMMAND"
    back = await novel_command(http, novel_id, "RollbackToVersion", {"event_id": str(uuid.uuid4())})
    assert back.status_code == 422 and error_code(back) == "INVALID_VERSION"


async def test_a_keyed_command_is_answered_once(http: httpx.AsyncClient) -> None:
    _, novel_id = await finished_novel(http)
    payload = {"chapter": 1, "wishes": "多一些对话"}
    first = await novel_command(
        http, novel_id, "RequestChapterDraft", payload, **{"Idempotency-Key": "k1"}
    )
    again = await novel_command(
        http, novel_id, "RequestChapterDraft", payload, **{"Idempotency-Key": "k1"}
    )
    assert first.status_code == again.status_code == 202
    assert first.json() == again.json()


async def test_chapters_outside_the_outline_or_without_a_draft_are_refused(
    http: httpx.AsyncClient,
) -> None:
    _, novel_id = await finished_novel(http)
    outside = await novel_command(http, novel_id, "RequestChapterDraft", {"chapter": 4})
    assert outside.status_code == 422 and error_code(outside) == "INVALID_CHAPTER"
    feedback = await novel_command(
        http, novel_id, "SubmitChapterFeedback", {"chapter": 1, "feedback": "更紧张"}
    )
    assert feedback.status_code == 422 and error_code(feedback) == "NO_DRAFT"
    confirm = await novel_command(http, novel_id, "ConfirmChapter", {"chapter": 1})
    assert confirm.status_code == 422 and error_code(confirm) == "NO_DRAFT"
    assert [c["status"] for c in await chapters(http, novel_id)] == ["PLANNED"] * 3


async def test_hostile_payloads_are_422_and_change_nothing(http: httpx.AsyncClient) -> None:
    _, novel_id = await finished_novel(http)
    for command_type, payload in [
        ("RequestChapterDraft", {"chapter": 0}),
        ("RequestChapterDraft", {"chapter": 2**40}),
        ("RequestChapterDraft", {"chapter": "1"}),
        ("RequestChapterDraft", {"chapter": 1, "wishes": "x" * 10_001}),
        ("RequestChapterDraft", {"chapter": 1, "wishes": "a\x00b"}),
        ("RequestChapterDraft", {"chapter": 1, "extra": True}),
        ("SubmitChapterFeedback", {"chapter": 1, "feedback": ""}),
        ("ConfirmChapter", {"chapter": 1, "text": "字" * 60_001}),
        ("ConfirmStage", {"stage": "WORLDVIEW"}),
    ]:
        reply = await novel_command(http, novel_id, command_type, payload)
        assert reply.status_code == 422, (command_type, payload, reply.text)
    assert [c["status"] for c in await chapters(http, novel_id)] == ["PLANNED"] * 3
    history = (await http.get(f"{NOVELS}/{novel_id}/history")).json()
    assert history == {"novel_id": novel_id, "chapters": [], "next_before": None}


async def test_another_writers_novel_is_not_found(
    http: httpx.AsyncClient, live_server: LiveServer, settings: Settings
) -> None:
    _, novel_id = await finished_novel(http)
    headers = {"Authorization": f"Bearer {make_token(settings, uuid.uuid4())}"}
    async with httpx.AsyncClient(base_url=live_server.url, headers=headers) as stranger:
        reply = await novel_command(stranger, novel_id, "RequestChapterDraft", {"chapter": 1})
        history = await stranger.get(f"{NOVELS}/{novel_id}/history")
        missing = await novel_command(stranger, uuid.uuid4(), "RequestChapterDraft", {"chapter": 1})
    assert reply.status_code == 404 and error_code(reply) == "NOT_FOUND"
    assert history.status_code == 404 and missing.status_code == 404
    assert [c["status"] for c in await chapters(http, novel_id)] == ["PLANNED"] * 3


async def test_a_novel_whose_genesis_reopened_stays_writable_against_its_last_bible(
    http: httpx.AsyncClient,
) -> None:
    """Issue 54: a rollback of Genesis does not lock a written book: its chapters are read and
    written against the bible last confirmed until the writer finishes Genesis again."""
    session_id, novel_id = await finished_novel(http)
    history = (await http.get(f"{BASE}/{session_id}/history")).json()
    characters = next(s for s in history["stages"] if s["stage"] == "CHARACTERS")
    back = characters["versions"][-1]["event_id"]
    rolled = await command(http, session_id, "RollbackToVersion", {"event_id": back})
    assert rolled.status_code == 200, rolled.text
    assert [c["number"] for c in await chapters(http, novel_id)] == [1, 2, 3]
    reply = await novel_command(http, novel_id, "RequestChapterDraft", {"chapter": 3})
    assert reply.status_code == 202, reply.text
    # Finished again with a shorter outline: the same novel, its chapters those of the new one.
    outline = {"chapters": [{"title": "序章", "summary": "灯塔"}]}
    again = await command(
        http, session_id, "ConfirmStage", {"stage": "PLOT_OUTLINE", "data": outline}
    )
    assert again.status_code == 200, again.text
    assert [(c["number"], c["title"]) for c in await chapters(http, novel_id)] == [(1, "序章")]
    outside = await novel_command(
        http, novel_id, "SubmitChapterFeedback", {"chapter": 2, "feedback": "x"}
    )
    assert outside.status_code == 422 and error_code(outside) == "INVALID_CHAPTER"


async def test_purging_the_session_erases_the_novels_stream(
    http: httpx.AsyncClient, pool: asyncpg.Pool
) -> None:
    session_id, novel_id = await finished_novel(http)
    wish = "只有作者知道的秘密"
    reply = await novel_command(
        http, novel_id, "RequestChapterDraft", {"chapter": 1, "wishes": wish}
    )
    assert reply.status_code == 202
    assert (await trash(http, session_id)).status_code == 200
    purged = await purge(http, session_id)
    assert purged.status_code == 200, purged.text
    events = await pool.fetch(
        "SELECT event_type, payload FROM domain_events WHERE aggregate_type = 'NOVEL' "
        "AND aggregate_id = $1 ORDER BY aggregate_version",
        novel_id,
    )
    assert [e["event_type"] for e in events] == [
        "Novel.Chapter.DraftRequested",
        "Novel.Chapters.Purged",
    ]
    assert events[0]["payload"] == {} and wish not in str(
        await pool.fetch("SELECT payload FROM event_outbox WHERE key = $1", novel_id)
    )
    left = await pool.fetchval(
        "SELECT (SELECT count(*) FROM command_inbox WHERE session_id = $1) "
        "+ (SELECT count(*) FROM async_tasks WHERE session_id = $1) "
        "+ (SELECT count(*) FROM novels WHERE id = $1)",
        uuid.UUID(novel_id),
    )
    assert left == 0


async def test_a_trashed_sessions_novel_refuses_commands_streams_and_exports(
    http: httpx.AsyncClient,
) -> None:
    # Issue 49: on 5af61bc the chapter command was accepted (202, the agent drafted) and a
    # stream ticket for the novel was issued while its session was in the trash.
    session_id, novel_id = await finished_novel(http)
    assert (await trash(http, session_id)).status_code == 200

    drafted = await novel_command(http, novel_id, "RequestChapterDraft", {"chapter": 1})
    assert drafted.status_code == 409 and error_code(drafted) == "SESSION_TRASHED"
    ticket = await http.post("/api/v1/events/stream-tickets", json={"context_id": novel_id})
    assert ticket.status_code == 409 and error_code(ticket) == "SESSION_TRASHED"
    for media in ("text/markdown", "application/epub+zip"):
        export = await http.get(f"{NOVELS}/{novel_id}", headers={"Accept": media})
        assert export.status_code == 409 and error_code(export) == "SESSION_TRASHED", media
    read = await http.get(f"{NOVELS}/{novel_id}")
    assert read.status_code == 200 and read.json()["trashed"] is True
    assert [c["status"] for c in read.json()["chapters"]] == ["PLANNED"] * 3  # nothing moved

    assert (await restore(http, session_id)).status_code == 200
    again = await novel_command(http, novel_id, "RequestChapterDraft", {"chapter": 1})
    assert again.status_code == 202, again.text
    ticket = await http.post("/api/v1/events/stream-tickets", json={"context_id": novel_id})
    assert ticket.status_code == 201, ticket.text
    export = await http.get(f"{NOVELS}/{novel_id}", headers={"Accept": "text/markdown"})
    assert (
        export.status_code == 200
        and (await http.get(f"{NOVELS}/{novel_id}")).json()["trashed"] is False
    )
