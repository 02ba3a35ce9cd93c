"""A novel's chapters as rows (issue 54, decision 5401): a chapter command reads and writes its
own chapter, not the book; the count of confirmed chapters follows every move; the migration
moves a populated book's chapters into rows, and back."""

import uuid

import asyncpg
import httpx
import orjson

from infinite_scribe.persistence import migrate
from tests.integration.test_novels import finished_novel
from tests.support.chapter_api import NOVELS, chapters, novel_command
from tests.support.one_value import one_value

BOOK = {
    "1": {"status": "CONFIRMED", "text": "第一章。\n雨夜。", "beats": ["雨"]},
    "2": {"status": "DRAFTED", "text": "第二章。", "beats": []},
    "3": {"status": "CONFIRMED", "text": "第三章。", "beats": ["信", "灯"]},
}


async def seed(pool: asyncpg.Pool, novel_id: str, count: int) -> None:
    """`count` chapters drafted (as the agent leaves them), straight into their rows."""
    await pool.execute(
        "INSERT INTO novel_chapters (novel_id, number, status, text, beats) "
        "SELECT $1::uuid, n, 'DRAFTED', 'text of ' || n, '[\"a\"]' FROM generate_series(1, $2) n",
        novel_id,
        count,
    )


async def rows(pool: asyncpg.Pool, novel_id: str) -> dict[int, tuple[str, str]]:
    """number -> (xmin, status): a row rewritten gets a new xmin."""
    found = await pool.fetch(
        "SELECT number, xmin::text AS xmin, status FROM novel_chapters WHERE novel_id = $1::uuid",
        novel_id,
    )
    return {r["number"]: (r["xmin"], r["status"]) for r in found}


async def test_a_confirmation_rewrites_its_own_chapter_only(
    http: httpx.AsyncClient, pool: asyncpg.Pool
) -> None:
    _, novel_id = await finished_novel(http)
    await seed(pool, novel_id, 3)
    before = await rows(pool, novel_id)
    confirmed = await novel_command(http, novel_id, "ConfirmChapter", {"chapter": 2})
    assert confirmed.status_code == 200, confirmed.text
    after = await rows(pool, novel_id)
    assert after[2][1] == "CONFIRMED" and after[2][0] != before[2][0]
    assert {n: after[n] for n in (1, 3)} == {n: before[n] for n in (1, 3)}  # untouched rows
    stored = await pool.fetchrow(
        "SELECT text, beats, (SELECT completed_chapters FROM novels WHERE id = $1::uuid) AS done "
        "FROM novel_chapters WHERE novel_id = $1::uuid AND number = 2",
        novel_id,
    )
    assert (stored["text"], stored["beats"], stored["done"]) == ("text of 2", ["a"], 1)
    # The writer's own text, then feedback: still its own chapter's row, the count kept.
    edited = await novel_command(
        http, novel_id, "ConfirmChapter", {"chapter": 1, "text": "the writer's own"}
    )
    assert edited.status_code == 200, edited.text
    assert (
        await pool.fetchval("SELECT completed_chapters FROM novels WHERE id = $1::uuid", novel_id)
        == 2
    )
    shown = {c["number"]: (c["status"], c["text"]) for c in await chapters(http, novel_id)}
    assert shown == {
        1: ("CONFIRMED", "the writer's own"),
        2: ("CONFIRMED", "text of 2"),
        3: ("DRAFTED", "text of 3"),
    }


async def test_a_chapter_without_a_draft_is_still_refused(
    http: httpx.AsyncClient, pool: asyncpg.Pool
) -> None:
    _, novel_id = await finished_novel(http)
    await seed(pool, novel_id, 1)
    refused = await novel_command(http, novel_id, "ConfirmChapter", {"chapter": 2})
    assert refused.status_code == 422 and refused.json()["error_code"] == "NO_DRAFT"
    feedback = await novel_command(
        http, novel_id, "SubmitChapterFeedback", {"chapter": 3, "feedback": "more rain"}
    )
    assert feedback.status_code == 422 and feedback.json()["error_code"] == "NO_DRAFT"
    assert (
        await pool.fetchval(
            "SELECT count(*) FROM novel_chapters WHERE novel_id = $1::uuid", novel_id
        )
        == 1
    )


async def test_a_novel_rollback_puts_every_row_back_and_counts_again(
    http: httpx.AsyncClient, pool: asyncpg.Pool
) -> None:
    _, novel_id = await finished_novel(http)
    await seed(pool, novel_id, 2)
    first = await novel_command(http, novel_id, "ConfirmChapter", {"chapter": 1})
    assert first.status_code == 200, first.text
    second = await novel_command(http, novel_id, "ConfirmChapter", {"chapter": 2})
    assert second.status_code == 200, second.text
    history = (await http.get(f"{NOVELS}/{novel_id}/history")).json()
    ones = next(c for c in history["chapters"] if c["chapter"] == 1)["versions"]
    target = ones[-1]["event_id"]  # chapter 1's confirmation
    back = await novel_command(
        http, novel_id, "RollbackToVersion", {"event_id": target, "scope": "novel"}
    )
    assert back.status_code == 200, back.text
    after = await rows(pool, novel_id)
    # Chapter 1 as confirmed then; chapter 2 had no text in the stream then (seeded straight
    # into its row), so the novel's version has none: its row goes.
    assert {n: status for n, (_, status) in after.items()} == {1: "CONFIRMED"}
    assert (
        await pool.fetchval("SELECT completed_chapters FROM novels WHERE id = $1::uuid", novel_id)
        == 1
    )


def test_the_migration_moves_a_books_chapters_into_rows_and_back(fresh_database: object) -> None:
    url = str(fresh_database())  # type: ignore[operator]
    novel_id = uuid.uuid4()

    migrate.upgrade(url, "0024_novel_exports")
    one_value(
        url,
        "INSERT INTO novels (id, user_id, title, chapters, completed_chapters) "
        "VALUES ($1, $2, 't', $3::text::jsonb, 2)",
        novel_id,
        uuid.uuid4(),
        orjson.dumps(BOOK).decode(),
    )
    migrate.upgrade(url)
    moved = one_value(
        url,
        "SELECT jsonb_object_agg(number::text, jsonb_build_object("
        "'status', status, 'text', text, 'beats', beats))::text "
        "FROM novel_chapters WHERE novel_id = $1",
        novel_id,
    )
    assert orjson.loads(str(moved)) == BOOK
    migrate.downgrade(url, "0024_novel_exports")
    back = one_value(url, "SELECT chapters::text FROM novels WHERE id = $1", novel_id)
    assert orjson.loads(str(back)) == BOOK
