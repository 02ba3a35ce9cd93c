"""A chapter's version read by index (issue 54, decision 5402): for every version of a chapter,
the chapter right after it equals the full fold's; a chapter's rollback works on a stream past
the old 5,000-event limit (it read and folded the whole stream, and answered 413)."""

from typing import Any
from uuid import UUID, uuid4

import asyncpg
import httpx
import orjson
import pytest

from infinite_scribe.domain.chapter_history import chapter_history, fold_chapters
from infinite_scribe.persistence.chapters.sql import PostgresNovelRepository
from tests.integration.test_novels import finished_novel
from tests.support.chapter_api import NOVELS, chapters, novel_command
from tests.support.history_limits import HistoryLimits, HistoryTooLarge
from tests.support.novel_stream import stream

DRAFT, CONFIRMED, ROLLED, FEEDBACK = (
    "Novel.Chapter.DraftProposed",
    "Novel.Chapter.Confirmed",
    "Novel.Chapters.RolledBack",
    "Novel.Chapter.FeedbackSubmitted",
)


def draft(n: int, text: str, revision: bool = False) -> tuple[str, dict[str, Any]]:
    return DRAFT, {"chapter": n, "text": text, "beats": [text[:2]], "revision": revision}


def confirm(n: int, text: str) -> tuple[str, dict[str, Any]]:
    return CONFIRMED, {"chapter": n, "text": text}


def rollback(
    n: int | None, changed: dict[str, Any], removed: list[int]
) -> tuple[str, dict[str, Any]]:
    scope = "novel" if n is None or len(changed) > 1 or removed else "chapter"
    payload = {"to_event_id": str(uuid4()), "chapter": n, "scope": scope}
    return ROLLED, payload | {"chapters": changed, "removed": removed}


async def append(
    pool: asyncpg.Pool, novel_id: UUID, events: list[tuple[str, dict[str, Any]]]
) -> list[UUID]:
    """The events at the end of the novel's stream; a payload's `caused_by` (an index into
    `events`) becomes the event's causation, as an agent's answer names its request."""
    start = await pool.fetchval(
        "SELECT coalesce(max(aggregate_version), 0) FROM domain_events WHERE aggregate_id = $1",
        str(novel_id),
    )
    ids = [uuid4() for _ in events]
    rows = []
    for i, (kind, payload) in enumerate(events):
        cause = payload.pop("caused_by", None)
        body = orjson.dumps(payload).decode()
        rows.append(
            (
                ids[i],
                kind,
                str(novel_id),
                start + i + 1,
                body,
                None if cause is None else ids[cause],
            )
        )
    await pool.executemany(
        "INSERT INTO domain_events (event_id, event_type, aggregate_type, aggregate_id, "
        "aggregate_version, payload, causation_id) VALUES ($1, $2, 'NOVEL', $3, $4, "
        "$5::text::jsonb, $6)",
        rows,
    )
    return ids


def book() -> list[tuple[str, dict[str, Any]]]:
    """Drafts, a revision for feedback, confirmations and edits, rollbacks of one chapter and
    of the whole novel, one that changed nothing, and more confirmations than one read's window."""
    one = {"status": "DRAFTED", "text": "一稿", "beats": ["一稿"]}
    revision = draft(1, "一改", revision=True)
    return [
        draft(1, "一稿"),
        draft(2, "二稿"),
        confirm(1, "一定"),
        (FEEDBACK, {"chapter": 1, "feedback": "更冷一些"}),
        (revision[0], revision[1] | {"caused_by": 3}),
        confirm(1, "一的手改"),
        rollback(1, {"1": one}, []),
        rollback(None, {"1": {"status": "CONFIRMED", "text": "一定", "beats": []}}, [2]),
        draft(3, "三稿"),
        confirm(3, "三定"),
        rollback(2, {}, []),  # a chapter's rollback that changed nothing
        draft(2, "二再稿"),
        *[confirm(2, f"二的第{i}次手改") for i in range(40)],  # past one read's window
    ]


async def test_every_chapter_version_read_by_index_is_the_folds(pool: asyncpg.Pool) -> None:
    novel_id, user_id = uuid4(), uuid4()
    await append(pool, novel_id, book())
    events = await stream(pool, novel_id, HistoryLimits())
    walk = fold_chapters(novel_id, user_id, events)
    repository = PostgresNovelRepository(pool)
    checked = 0
    for event_id, expected in walk.targets.items():
        found = await repository.chapter_version(novel_id, user_id, event_id)
        if expected.chapter is None:
            assert found is None
            continue
        key = str(expected.chapter)
        assert found is not None and found.chapter == expected.chapter
        assert dict(found.chapters) == (
            {key: expected.chapters[key]} if key in expected.chapters else {}
        )
        checked += 1
    assert checked == len(walk.targets) - 1 > 40  # every version but the novel-wide one
    assert await repository.chapter_version(novel_id, user_id, uuid4()) is None
    assert await repository.chapter_version(uuid4(), user_id, events[0].event_id) is None


async def test_a_chapters_rollback_works_past_the_old_stream_limit(
    http: httpx.AsyncClient, pool: asyncpg.Pool
) -> None:
    _, novel_id = await finished_novel(http)
    await append(pool, UUID(novel_id), [draft(1, "第一稿"), draft(2, "第二稿")])
    first = await pool.fetchval(
        "SELECT event_id FROM domain_events WHERE aggregate_id = $1 AND event_type = $2 "
        "ORDER BY aggregate_version LIMIT 1",
        novel_id,
        DRAFT,
    )
    await append(pool, UUID(novel_id), [draft(1, f"第{i}稿") for i in range(6_000)])
    await pool.execute(  # the projection as those drafts leave it
        "INSERT INTO novel_chapters (novel_id, number, status, text, beats) VALUES "
        "($1::uuid, 1, 'DRAFTED', '第5999稿', '[]'), ($1::uuid, 2, 'DRAFTED', '第二稿', '[]')",
        novel_id,
    )
    await pool.execute(
        "UPDATE novels SET stream_version = (SELECT max(aggregate_version) FROM domain_events "
        "WHERE aggregate_id = $1) WHERE id = $2",
        novel_id,
        UUID(novel_id),
    )
    with pytest.raises(HistoryTooLarge):  # what the rollback read before, and refused
        await stream(pool, UUID(novel_id), HistoryLimits())
    back = await novel_command(http, novel_id, "RollbackToVersion", {"event_id": str(first)})
    assert back.status_code == 200, back.text
    now = {c["number"]: c for c in await chapters(http, novel_id)}
    assert (now[1]["text"], now[2]["text"]) == ("第一稿", "第二稿")


async def test_history_pages_of_any_size_are_the_whole_fold(
    http: httpx.AsyncClient, pool: asyncpg.Pool
) -> None:
    _, novel_id = await finished_novel(http)
    user_id = UUID(
        await pool.fetchval("SELECT user_id::text FROM novels WHERE id = $1::uuid", novel_id)
    )
    await append(pool, UUID(novel_id), book())
    whole = chapter_history(
        UUID(novel_id), user_id, await stream(pool, UUID(novel_id), HistoryLimits())
    )
    expected = {c["chapter"]: c["versions"] for c in orjson.loads(orjson.dumps(whole))}
    total = sum(len(v) for v in expected.values())
    for limit in (1, 7, 200):
        pages, before = [], None
        while True:
            params = {"limit": limit} | ({"before": before} if before else {})
            page = (await http.get(f"{NOVELS}/{novel_id}/history", params=params)).json()
            pages.append(page)
            if (before := page["next_before"]) is None:
                break
        assert len(pages) == -(-total // limit)
        joined: dict[int, list[Any]] = {}
        for page in reversed(pages):
            for chapter in page["chapters"]:
                joined.setdefault(chapter["chapter"], []).extend(chapter["versions"])
        assert joined == expected
    revised = [v for v in expected[1] if v["kind"] == "revised"]
    assert revised[0]["feedback"] == "更冷一些"
    for params in ({"before": 0}, {"before": 2**31}, {"limit": 0}, {"limit": 201}, {"before": "x"}):
        response = await http.get(f"{NOVELS}/{novel_id}/history", params=params)
        assert response.status_code == 422, params
