"""An archived session reads as before (issue 51): its state, history, events, novel, export and
live-stream replay are the same bytes; archiving twice moves nothing and records nothing."""

from uuid import UUID

import asyncpg
import httpx

from infinite_scribe.settings.settings import Settings
from tests.integration.chapters.test_export_jobs import ask, finished_task
from tests.support.archive import archive_events, archive_service, finished_book, partitions
from tests.support.genesis_client import BASE
from tests.support.history import branch, history, versions

NOVELS = "/api/v1/novels"


async def _reads(http: httpx.AsyncClient, session_id: UUID, novel_id: UUID) -> list[bytes]:
    markdown = {"Accept": "text/markdown"}
    paths = [
        (f"{BASE}/{session_id}/state", {}),
        (f"{BASE}/{session_id}/history", {}),
        (f"{BASE}/{session_id}/events?limit=500", {}),
        (f"{NOVELS}/{novel_id}", {}),
        (f"{NOVELS}/{novel_id}/history", {}),
        (f"{NOVELS}/{novel_id}", markdown),
    ]
    bodies = []
    for path, headers in paths:
        response = await http.get(path, headers=headers)
        assert response.status_code == 200, (path, response.text)
        bodies.append(response.content)
    return bodies


async def test_an_archived_book_reads_the_same_and_lives_in_the_archive(
    http: httpx.AsyncClient, pool: asyncpg.Pool, settings: Settings
) -> None:
    session_id, novel_id = await finished_book(http, pool, settings)
    before = await _reads(http, session_id, novel_id)
    hot = await partitions(pool, session_id, novel_id)
    assert set(hot) == {"domain_events_hot"}

    outcome = await archive_service(pool).archive(session_id)

    assert outcome.changed and outcome.events_moved == hot["domain_events_hot"]
    assert await partitions(pool, session_id, novel_id) == {
        "domain_events_archived": hot["domain_events_hot"]
    }
    assert await _reads(http, session_id, novel_id) == before
    recorded = await archive_events(pool, session_id)
    assert [(kind, body["reason"], body["events_moved"]) for kind, body in recorded] == [
        ("Archive.Session.Archived", "request", outcome.events_moved)
    ]


async def test_archiving_again_moves_nothing_and_records_nothing(
    http: httpx.AsyncClient, pool: asyncpg.Pool, settings: Settings
) -> None:
    session_id, _ = await finished_book(http, pool, settings)
    archive = archive_service(pool)
    first = await archive.archive(session_id)
    again = await archive.archive(session_id)
    assert first.changed and not again.changed and again.events_moved == 0
    assert len(await archive_events(pool, session_id)) == 1


async def test_a_live_stream_replays_an_archived_sessions_events(
    http: httpx.AsyncClient, pool: asyncpg.Pool, settings: Settings
) -> None:
    session_id, _ = await finished_book(http, pool, settings)
    ids = [
        row["event_id"]
        for row in await pool.fetch(
            "SELECT event_id FROM domain_events WHERE aggregate_id = $1 ORDER BY id LIMIT 3",
            str(session_id),
        )
    ]
    await archive_service(pool).archive(session_id)
    # Last-Event-ID before the third event: the stream replays from the archive first.
    first = await pool.fetchval("SELECT id FROM domain_events WHERE event_id = $1", ids[0])
    async with http.stream(
        "GET",
        f"/api/v1/events/stream?context_id={session_id}",
        headers={"Last-Event-ID": str(first), "Accept": "text/event-stream"},
    ) as response:
        assert response.status_code == 200
        seen = ""
        async for chunk in response.aiter_text():
            seen += chunk
            if str(ids[2]) in seen:
                break
    assert str(ids[1]) in seen and str(ids[2]) in seen


async def test_a_branch_starts_from_an_archived_version_and_leaves_the_source_archived(
    http: httpx.AsyncClient, pool: asyncpg.Pool, settings: Settings
) -> None:
    session_id, novel_id = await finished_book(http, pool, settings)
    target = versions(await history(http, session_id), "WORLDVIEW")[0]
    await archive_service(pool).archive(session_id)

    reply = await branch(http, session_id, target["event_id"])

    assert reply.status_code == 201, reply.text
    assert reply.json()["current_stage"] == "WORLDVIEW"
    assert set(await partitions(pool, session_id, novel_id)) == {"domain_events_archived"}
    assert set(await partitions(pool, UUID(reply.json()["session_id"]))) == {"domain_events_hot"}


async def test_an_archived_novels_export_is_built_and_served_and_the_book_stays_archived(
    http: httpx.AsyncClient, pool: asyncpg.Pool, settings: Settings
) -> None:
    session_id, novel_id = await finished_book(http, pool, settings)
    await archive_service(pool).archive(session_id)
    asked = await ask(http, str(novel_id))
    assert asked.status_code == 202, asked.text
    task = await finished_task(http, asked.json()["task_id"])
    assert task["status"] == "COMPLETED", task
    download = await http.get(f"{NOVELS}/{novel_id}/exports/markdown")
    assert download.status_code == 200 and download.content
    assert set(await partitions(pool, session_id, novel_id)) == {"domain_events_archived"}
