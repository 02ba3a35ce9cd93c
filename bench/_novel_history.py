"""Part 3 of bench/novel.py: a session's history, rollback and branch at 10 and at 100,000
events in its log (issue 54 targets: a page of 50 <= 50 ms, one version's diff <= 50 ms,
rollback <= 100 ms, branch <= 100 ms, at both lengths; no 413).

The session is made over HTTP (created, its concept confirmed); the rest of its log is written
straight into `domain_events` as STORY_CONCEPTION proposals (a writer asking again and again), in
one INSERT: 100,000 proposals through the offline writer would take longer than the bench. The
session's snapshot row is moved to the last of them, as the worker's writes would leave it, and
the table is vacuumed and the relay has read that far (the logical outbox mode publishes the
seeded events) before anything is timed.
"""

import asyncio
import os
import time
from functools import partial
from typing import Any

import asyncpg
import httpx

from _harness import finished_novel, percentile

SESSIONS = "/api/v1/genesis/sessions"
REPEATS = 20
#: A whole book's rollback writes an event per chapter: a few turns are enough.
WHOLE_BOOK_TURNS = int(os.environ.get("BENCH_WHOLE_BOOK_TURNS", "6"))


async def seeded_session(http: httpx.AsyncClient, database_url: str, events: int) -> str:
    session = (await http.post(SESSIONS)).json()["session_id"]
    body = {
        "command_type": "ConfirmStage",
        "payload": {"stage": "CONCEPT_SELECTION", "data": {"title": "雾港", "logline": "守灯人"}},
    }
    assert (await http.post(f"{SESSIONS}/{session}/commands", json=body)).status_code == 200
    connection = await asyncpg.connect(database_url)
    try:
        await connection.execute(
            """
            INSERT INTO domain_events (event_type, aggregate_type, aggregate_id,
                                       aggregate_version, payload)
            SELECT 'Genesis.Session.StageContent.Proposed', 'GENESIS_SESSION', $1, v,
                   jsonb_build_object('stage', 'STORY_CONCEPTION', 'result',
                       jsonb_build_object('title', '雾港', 'premise', '第' || v || '稿 潮声'))
            FROM generate_series(3, $2::int) AS v
            """,
            session,
            events,
        )
        await connection.execute(
            "UPDATE genesis_sessions SET version = $2::int, last_result = jsonb_build_object("
            "'title', '雾港', 'premise', '第' || $2::int || '稿 潮声') WHERE id = $1",
            session,
            events,
        )
        # As autovacuum would leave them, before anything is timed (not while it is).
        await connection.execute("VACUUM ANALYZE domain_events")
        await _relayed(connection)
    finally:
        await connection.close()
    return str(session)


async def middle_event(database_url: str, stream: str, events: int) -> str:
    """The version in the middle of the log, read from the log itself (an older checkout's
    history answers 413 there, and the A/B still times its rollback and branch)."""
    connection = await asyncpg.connect(database_url)
    try:
        found = await connection.fetchval(
            "SELECT event_id::text FROM domain_events WHERE aggregate_id = $1 "
            "AND aggregate_version = $2",
            stream,
            max(3, events // 2),
        )
    finally:
        await connection.close()
    return str(found)


async def _relayed(connection: asyncpg.Connection) -> None:
    """Wait until the relay has read the log this far: in the logical outbox mode it decodes
    and publishes the seeded events, and timing meanwhile measures its drain on the same two
    cores (seen: a page 26-38 ms at the median instead of 6)."""
    written = await connection.fetchval("SELECT pg_current_wal_lsn()")
    behind = "SELECT count(*) FROM pg_replication_slots WHERE confirmed_flush_lsn < $1"
    deadline = time.monotonic() + 600
    while await connection.fetchval(behind, written) and time.monotonic() < deadline:  # noqa: ASYNC110 - polling the database: nothing here to wait on
        await asyncio.sleep(0.5)


async def _timed(call: Any) -> tuple[float, int]:
    started = time.perf_counter()
    reply = await call()
    return (time.perf_counter() - started) * 1000, reply.status_code


async def _series(call: Any) -> dict[str, Any]:
    timings = [await _timed(call) for _ in range(REPEATS)]
    ms = [t for t, _ in timings]
    return {
        "p50_ms": round(percentile(ms, 0.5), 1),
        "max_ms": round(max(ms), 1),
        "statuses": sorted({s for _, s in timings}),
    }


async def history_costs(http: httpx.AsyncClient, database_url: str, events: int) -> dict[str, Any]:
    session = await seeded_session(http, database_url, events)
    url = f"{SESSIONS}/{session}/history"
    page = (await http.get(url)).json()
    middle = f"0.{events // 2}"
    found = {
        "events": events,
        "page_of_50": await _series(lambda: http.get(url)),
        "one_version": await _series(lambda: http.get(url, params={"before": middle, "limit": 1})),
    }
    event_id = await middle_event(database_url, session, events)
    branch = {"at_event_id": event_id}
    found["branch"] = await _series(
        lambda: http.post(f"{SESSIONS}/{session}/branches", json=branch)
    )
    found["rollback"] = await _series(lambda: _rollback(http, session, event_id))
    found["page_versions"] = sum(len(s["versions"]) for s in page.get("stages", []))
    return found


async def _rollback(http: httpx.AsyncClient, session: str, event_id: str) -> httpx.Response:
    body = {"command_type": "RollbackToVersion", "payload": {"event_id": event_id}}
    return await http.post(f"{SESSIONS}/{session}/commands", json=body)


async def seeded_novel(http: httpx.AsyncClient, database_url: str, events: int) -> str:
    """A finished novel of three chapters whose stream holds `events` drafts of them, and its
    chapters as the last drafts leave them."""
    novel = await finished_novel(http, 3)
    await _seed_drafts(database_url, novel, events, 3, "'第' || v || '稿 潮声'")
    return novel


async def _seed_drafts(
    database_url: str, novel: str, drafts: int, chapters: int, text: str
) -> None:
    """`drafts` drafts of the novel's `chapters` chapters in turn (`text`: the SQL of draft
    `v`'s text), the chapter rows as the last drafts leave them, vacuumed and relayed."""
    connection = await asyncpg.connect(database_url)
    try:
        await connection.execute(
            f"""
            INSERT INTO domain_events (event_type, aggregate_type, aggregate_id,
                                       aggregate_version, payload)
            SELECT 'Novel.Chapter.DraftProposed', 'NOVEL', $1, v, jsonb_build_object(
                'chapter', 1 + (v - 1) % $3::int, 'text', {text}, 'beats', '[]'::jsonb)
            FROM generate_series(1, $2::int) AS v
            """,
            novel,
            drafts,
            chapters,
        )
        await connection.execute(
            f"INSERT INTO novel_chapters (novel_id, number, status, text) "
            f"SELECT $1::uuid, n, 'DRAFTED', {text} FROM (SELECT n, "
            "$2::int - (($2::int - n) % $3::int) AS v FROM generate_series(1, $3::int) AS n) AS x",
            novel,
            drafts,
            chapters,
        )
        await connection.execute(
            "UPDATE novels SET stream_version = $2::int WHERE id = $1::uuid", novel, drafts
        )
        await connection.execute("VACUUM ANALYZE domain_events")
        await _relayed(connection)
    finally:
        await connection.close()


async def chapter_history_costs(
    http: httpx.AsyncClient, database_url: str, events: int
) -> dict[str, Any]:
    novel = await seeded_novel(http, database_url, events)
    url = f"/api/v1/novels/{novel}/history"
    middle = {"before": events // 2, "limit": 1}
    event_id = await middle_event(database_url, novel, events)
    body = {"command_type": "RollbackToVersion", "payload": {"event_id": event_id}}
    wide = {
        "command_type": "RollbackToVersion",
        "payload": {"event_id": event_id, "scope": "novel"},
    }
    commands = f"/api/v1/novels/{novel}/commands"
    return {
        "of": "novel",
        "events": events,
        "page_of_50": await _series(lambda: http.get(url)),
        "one_version": await _series(lambda: http.get(url, params=middle)),
        "rollback": await _series(lambda: http.post(commands, json=body)),
        "novel_rollback": await _series(lambda: http.post(commands, json=wide)),
    }


async def whole_book_rollback(
    http: httpx.AsyncClient, database_url: str, chapters: int
) -> dict[str, Any]:
    """A novel-wide rollback of a book of `chapters` chapters, each drafted twice: back to the
    first drafts and forward to the second, in turn (every chapter changes each time)."""
    novel = await finished_novel(http, chapters)
    targets = await _twice_drafted(database_url, novel, chapters)
    timings = []
    for turn in range(WHOLE_BOOK_TURNS):
        wide = {"event_id": targets[turn % 2], "scope": "novel"}
        body = {"command_type": "RollbackToVersion", "payload": wide}
        post = partial(http.post, f"/api/v1/novels/{novel}/commands", json=body)
        timings.append(await _timed(post))
    ms = [t for t, _ in timings]
    return {
        "chapters": chapters,
        "p50_ms": round(percentile(ms, 0.5), 1),
        "max_ms": round(max(ms), 1),
        "statuses": sorted({s for _, s in timings}),
    }


async def _twice_drafted(database_url: str, novel: str, chapters: int) -> list[str]:
    """Every chapter drafted twice (3,000 characters each) and its rows as the second drafts
    leave them; the versions right after the first and the second drafts."""
    await _seed_drafts(database_url, novel, 2 * chapters, chapters, "repeat('潮', 3000) || v")
    return [await middle_event(database_url, novel, 2 * v) for v in (chapters, 2 * chapters)]


def history_lines(costs: list[dict[str, Any]]) -> list[str]:
    lines = []
    for cost in costs:
        for name, target in (
            ("page_of_50", 50),
            ("one_version", 50),
            ("rollback", 100),
            ("novel_rollback", 100),
            ("branch", 100),
        ):
            if name not in cost:  # a novel has no branch
                continue
            s, of = cost[name], cost.get("of", "session")
            lines.append(
                f"{of} history at {cost['events']:,} events, {name}: p50 {s['p50_ms']} ms, "
                f"max {s['max_ms']} ms (target <= {target}), statuses {s['statuses']}"
            )
    return lines
