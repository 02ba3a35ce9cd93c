"""A novel-wide rollback read by index (issue 54, decision 5405): every chapter right after any
version of the novel equals the full fold's, through per-chapter rollbacks, rollbacks written
before them (one event for many chapters), more of those than one read's window, and a chapter
with more versions than its window; over HTTP, a novel-wide rollback works past the old 5,000
events and whatever the book's size, one event per chapter it changes."""

from collections.abc import Iterator
from typing import Any
from uuid import UUID, uuid4

import asyncpg
import httpx

from infinite_scribe.domain.chapter_history import fold_chapters
from infinite_scribe.persistence.chapters.sql import PostgresNovelRepository
from infinite_scribe.persistence.chapters.versions import ROLLBACK_WINDOW
from tests.integration.chapters.test_chapter_versions import (
    ROLLED,
    append,
    book,
    confirm,
    draft,
    rollback,
)
from tests.integration.test_novels import finished_novel
from tests.support.chapter_api import chapters, novel_command
from tests.support.history_limits import HistoryLimits
from tests.support.novel_stream import stream


def _per_chapter(target: int, changed: dict[str, Any], removed: list[str]) -> list[Any]:
    """A novel-wide rollback as it is written now: an event per chapter it changes."""
    base = {"to_event_id": str(uuid4()), "scope": "novel", "per_chapter": True}
    events = [(ROLLED, base | {"chapter": int(n), "chapters": {n: c}, "removed": []})
              for n, c in changed.items()]  # fmt: skip
    events += [
        (ROLLED, base | {"chapter": int(n), "chapters": {}, "removed": [n]}) for n in removed
    ]
    return events or [(ROLLED, base | {"chapter": target, "chapters": {}, "removed": []})]


def _long_book() -> list[tuple[str, dict[str, Any]]]:
    drafted = {"status": "DRAFTED", "text": "四回", "beats": ["四回"]}
    return [
        *book(),
        *[draft(n, f"{n}稿") for n in range(4, 13)],
        *_per_chapter(4, {"4": drafted, "5": drafted}, ["6"]),
        *[
            rollback(None, {"7": {"status": "DRAFTED", "text": f"七{i}", "beats": []}}, [])
            for i in range(70)
        ],  # past the wide rollbacks' window
        *[draft(8, f"八的第{i}稿") for i in range(6)],  # past a chapter's own window
        confirm(8, "八定"),
        draft(6, "六再稿"),
    ]


async def _projection(pool: asyncpg.Pool, novel_id: UUID, state: Any) -> None:
    """The novel's chapter rows as the fold leaves them (the events went in raw)."""
    await pool.execute("DELETE FROM novel_chapters WHERE novel_id = $1", novel_id)
    await pool.executemany(
        "INSERT INTO novel_chapters (novel_id, number, status, text, beats) "
        "VALUES ($1, $2, $3, $4, $5)",
        [
            (novel_id, int(n), c["status"], c["text"], c.get("beats") or [])
            for n, c in state.chapters.items()
        ],
    )


async def test_every_novel_version_read_by_index_is_the_folds(
    http: httpx.AsyncClient, pool: asyncpg.Pool
) -> None:
    _, novel = await finished_novel(http)
    novel_id = UUID(novel)
    user_id = await pool.fetchval("SELECT user_id FROM novels WHERE id = $1", novel_id)
    await append(pool, novel_id, _long_book())
    walk = fold_chapters(novel_id, user_id, await stream(pool, novel_id, HistoryLimits()))
    await _projection(pool, novel_id, walk.state)
    repository = PostgresNovelRepository(pool)
    for event_id, expected in walk.targets.items():
        found = await repository.novel_version(novel_id, user_id, event_id)
        assert found is not None and found.event_id == event_id
        assert dict(found.chapters) == dict(expected.chapters), event_id
    assert len(walk.targets) > 130
    assert await repository.novel_version(novel_id, user_id, uuid4()) is None


async def test_a_novel_wide_rollback_past_the_old_limit_and_larger_than_an_event(
    http: httpx.AsyncClient, pool: asyncpg.Pool
) -> None:
    _, novel = await finished_novel(http)
    big = {n: chr(0x4E00 + n) * 100_000 for n in (1, 2, 3)}  # 300 KB each, 900 KB together
    await append(pool, UUID(novel), [draft(n, text) for n, text in big.items()])
    first = await pool.fetchval(
        "SELECT event_id FROM domain_events WHERE aggregate_id = $1 AND event_type = $2 "
        "ORDER BY aggregate_version DESC LIMIT 1",
        novel,
        "Novel.Chapter.DraftProposed",
    )
    await append(pool, UUID(novel), [draft(1 + i % 3, f"第{i}稿") for i in range(6_000)])
    walk = fold_chapters(UUID(novel), uuid4(), await stream(pool, UUID(novel), HistoryLimits(
        max_events=100_000, max_bytes=2**31)))  # fmt: skip
    await _projection(pool, UUID(novel), walk.state)
    await pool.execute(
        "UPDATE novels SET stream_version = (SELECT max(aggregate_version) FROM domain_events "
        "WHERE aggregate_id = $1) WHERE id = $2",
        novel,
        UUID(novel),
    )
    body = {"event_id": str(first), "scope": "novel"}
    back = await novel_command(http, novel, "RollbackToVersion", body)
    assert back.status_code == 200, back.text
    now = {c["number"]: c for c in await chapters(http, novel)}
    assert {n: now[n]["text"] for n in big} == big
    written = await pool.fetch(
        "SELECT payload, octet_length(payload::text) AS size FROM domain_events "
        "WHERE aggregate_id = $1 AND event_type = $2 ORDER BY aggregate_version",
        novel,
        ROLLED,
    )
    assert [r["payload"]["chapter"] for r in written] == [1, 2, 3]
    assert max(r["size"] for r in written) < 400_000


async def test_the_wide_rollbacks_window_reads_its_own_index(pool: asyncpg.Pool) -> None:
    """Migration 0029's partial index answers the window (its predicate is the query's): a
    chapter's read never wades through the per-chapter events of a novel-wide rollback.

    The novel holds a thousand per-chapter events and the table is analyzed, so the planner
    weighs the two indexes on rows it can see: on an empty novel both cost the same and its
    choice between them is a coin toss (CI once took the other one)."""
    novel = uuid4()
    changed = {str(n): {"status": "DRAFTED", "text": "稿", "beats": []} for n in range(1, 1_001)}
    await append(pool, novel, [*book(), *_per_chapter(1, changed, []), rollback(None, {}, [])])
    async with pool.acquire() as connection, connection.transaction():
        await connection.execute("ANALYZE domain_events")
        args = (str(novel), 2**31 - 1, 2**31 - 1, 64)
        plan = await connection.fetchval(f"EXPLAIN (ANALYZE, FORMAT JSON) {ROLLBACK_WINDOW}", *args)
        wide = await connection.fetch(ROLLBACK_WINDOW, *args)
    assert "domain_events_novel_wide_rollbacks" in str(plan)
    assert wide and plan[0]["Plan"]["Actual Rows"] == len(wide)  # found without a filter
    # No node reads a row it then throws away. (The empty archived partition may be planned
    # as a scan with a filter that removes nothing: the planner guesses an empty table's size.)
    assert sum(_removed(plan[0]["Plan"])) == 0


def _removed(node: dict[str, Any]) -> Iterator[int]:
    """Every plan node's "Rows Removed by Filter"."""
    yield int(node.get("Rows Removed by Filter", 0))
    for child in node.get("Plans", []):
        yield from _removed(child)
