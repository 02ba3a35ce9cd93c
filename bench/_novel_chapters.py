"""bench/novel.py, part 2: one chapter of a 1,000-chapter book at chapter 10 and at chapter 1,000
(the target: the later one costs <= 1.2x), each drafted by the offline writer, confirmed, and
checked for continuity, on `BENCH_ROUNDS` novels at each place.

For each place: CPU per chapter of every process (`Processes`), the statements PostgreSQL ran
per chapter (its statement log, `counted_statements`), and the bytes it read per chapter: the
shared-buffer pages its client backends touched (`pg_stat_io`, 8 KiB each), read after every
backend's statistics were flushed (a backend flushes them within 10 s of going idle), less what
the services touch in as long when idle. The chapters before the measured one are seeded
CONFIRMED straight into their rows (`novel_chapters`): writing 999 chapters through the offline
writer takes longer than the bench, and what a chapter reads must not depend on how its
predecessors got there.
"""

import asyncio
import time
from typing import Any

import asyncpg
import httpx

from _generation_cost import Processes, counted_statements, cpu_per_unit
from _harness import finished_novel
from worker import finished

#: Marks the bench's own polling in PostgreSQL's statement log (left out of the counts).
OWN = "/* bench-own */"
SETTLE_SECONDS = 11.0


async def seed(database_url: str, novel_id: str, before: int, text: str) -> None:
    """Chapters 1..`before` CONFIRMED: as rows, or, on a checkout from before decision 5401 (an
    A/B), as the `novels.chapters` map."""
    connection = await asyncpg.connect(database_url)
    try:
        if await connection.fetchval("SELECT to_regclass('novel_chapters') IS NOT NULL"):
            await connection.execute(
                "INSERT INTO novel_chapters (novel_id, number, status, text) "
                "SELECT $1::uuid, n, 'CONFIRMED', $3 FROM generate_series(1, $2) n",
                novel_id,
                before,
                text,
            )
        else:
            await connection.execute(
                "UPDATE novels SET chapters = (SELECT jsonb_object_agg(n::text, jsonb_build_object("
                "'status', 'CONFIRMED', 'text', $3::text, 'beats', '[]'::jsonb)) "
                "FROM generate_series(1, $2) n) WHERE id = $1::uuid",
                novel_id,
                before,
                text,
            )
        await connection.execute(
            "UPDATE novels SET completed_chapters = $2 WHERE id = $1::uuid", novel_id, before
        )
    finally:
        await connection.close()


async def vacuumed(database_url: str) -> None:
    """The database vacuumed and analyzed now, so that autovacuum does not read the seeded
    rows (megabytes of pages) while a chapter is measured."""
    connection = await asyncpg.connect(database_url)
    try:
        await connection.execute("VACUUM ANALYZE")
    finally:
        await connection.close()


async def pages_touched(database_url: str) -> int:
    """Shared-buffer pages the client backends touched so far (PostgreSQL 16's `pg_stat_io`:
    not the walsender decoding for the relay, not autovacuum), else every backend's."""
    connection = await asyncpg.connect(database_url)
    try:
        if await connection.fetchval("SELECT to_regclass('pg_stat_io') IS NOT NULL"):
            statement = (
                f"SELECT {OWN} sum(COALESCE(hits, 0) + COALESCE(reads, 0)) FROM pg_stat_io "
                "WHERE backend_type = 'client backend'"
            )
        else:
            statement = (
                f"SELECT {OWN} blks_hit + blks_read FROM pg_stat_database "
                "WHERE datname = current_database()"
            )
        return int(await connection.fetchval(statement))
    finally:
        await connection.close()


async def checked(database_url: str, novel_id: str, chapter: int) -> None:
    """Until the continuity check of `chapter` is in the story memory."""
    connection = await asyncpg.connect(database_url)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            found = await connection.fetchval(
                f"SELECT {OWN} count(*) FROM story_chapters WHERE novel_id = $1::uuid "
                "AND chapter = $2",
                novel_id,
                chapter,
            )
            if found:
                return
            await asyncio.sleep(0.05)
        raise RuntimeError(f"chapter {chapter} of {novel_id} was not checked")
    finally:
        await connection.close()


async def one_chapter(http: httpx.AsyncClient, database_url: str, novel: str, n: int) -> None:
    """Drafted, confirmed as drafted, checked."""
    body = {"command_type": "RequestChapterDraft", "payload": {"chapter": n}}
    asked = await http.post(f"/api/v1/novels/{novel}/commands", json=body)
    assert asked.status_code == 202, asked.text
    await finished(database_url, {asked.json()["task_id"]: 0.0}, 120)
    body = {"command_type": "ConfirmChapter", "payload": {"chapter": n}}
    reply = await http.post(f"/api/v1/novels/{novel}/commands", json=body)
    assert reply.status_code == 200, reply.text
    await checked(database_url, novel, n)


async def cost_at(
    http: httpx.AsyncClient,
    database_url: str,
    processes: Processes,
    novels: list[str],
    chapter: int,
) -> dict[str, Any]:
    # The services read pages when nobody writes too (the relay's and the worker's polls):
    # their rate over an idle window is taken out of the window the chapters were written in.
    await asyncio.sleep(SETTLE_SECONDS)
    idle_from, idle_pages = time.monotonic(), await pages_touched(database_url)
    await asyncio.sleep(SETTLE_SECONDS)
    started, pages = time.monotonic(), await pages_touched(database_url)
    idle_rate = (pages - idle_pages) / (started - idle_from)
    before = processes.snapshot()
    async with counted_statements(database_url) as statements:
        for novel in novels:
            await one_chapter(http, database_url, novel, chapter)
    cpu = cpu_per_unit(before, processes.snapshot(), len(novels))
    await asyncio.sleep(SETTLE_SECONDS)
    touched = await pages_touched(database_url) - pages - idle_rate * (time.monotonic() - started)
    read = max(touched, 0.0) * 8192 / len(novels)
    return {
        "chapter": chapter,
        "cpu_ms": cpu,
        "statements": sum(statements.values()) / len(novels),
        "kib_read": round(read / 1024, 1),
    }


async def chapter_costs(
    http: httpx.AsyncClient, database_url: str, processes: Processes, book: int, rounds: int
) -> list[dict[str, Any]]:
    """The cost of chapter 10 and of chapter `book` of a `book`-chapter novel."""
    text = ("守灯人在雾里数着潮声。\n" * 300)[:3000]
    places = {}
    for chapter in (10, book):
        novels = [await finished_novel(http, book) for _ in range(rounds + 1)]
        for novel in novels:
            await seed(database_url, novel, chapter - 1, text)
        await one_chapter(http, database_url, novels.pop(), chapter)  # warm-up
        places[chapter] = novels
    await vacuumed(database_url)
    return [
        await cost_at(http, database_url, processes, novels, chapter)
        for chapter, novels in places.items()
    ]


def ratio_lines(costs: list[dict[str, Any]]) -> list[str]:
    if len(costs) != 2:
        return []
    early, late = costs
    lines = []
    for label, key in (("CPU ms", "cpu"), ("statements", "statements"), ("KiB read", "kib_read")):
        low = early["cpu_ms"]["total"] if key == "cpu" else early[key]
        high = late["cpu_ms"]["total"] if key == "cpu" else late[key]
        ratio = high / low if low else float("nan")
        lines.append(
            f"one chapter's {label}: {low:.1f} at chapter {early['chapter']}, {high:.1f} at "
            f"chapter {late['chapter']} = {ratio:.2f}x (target <= 1.2x)"
        )
    return lines
