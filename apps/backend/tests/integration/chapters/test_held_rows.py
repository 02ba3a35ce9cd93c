"""Group commit that no row lock can hold (issue 71's P2, decision 7200): a transaction holds one
writer's novel row (as an archive, a purge or a rebuild does); that writer's confirmation waits
for it, and other writers' confirmations of the same statement shape are answered meanwhile."""

import asyncio
import time
import uuid
from collections import Counter

import asyncpg
import httpx

from infinite_scribe.settings.settings import Settings
from tests.conftest import LiveServer, make_token
from tests.integration.chapters.test_chapter_rows import seed
from tests.integration.test_novels import finished_novel
from tests.support.chapter_api import novel_command

_LOCK_WAITS = (
    "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
    "AND backend_type = 'client backend'"
)


async def _timed_confirm(http: httpx.AsyncClient, novel_id: str) -> tuple[int, float]:
    started = time.perf_counter()
    response = await novel_command(http, novel_id, "ConfirmChapter", {"chapter": 1})
    return response.status_code, time.perf_counter() - started


async def _until_a_lock_wait(pool: asyncpg.Pool) -> None:
    for _ in range(1000):
        if await pool.fetchval(_LOCK_WAITS):
            return
        await asyncio.sleep(0.01)
    raise AssertionError("the held writer's confirmation never waited for the row")


async def test_a_held_novel_row_holds_its_writer_only(
    http: httpx.AsyncClient, pool: asyncpg.Pool
) -> None:
    novels = [(await finished_novel(http))[1] for _ in range(4)]
    for novel_id in novels:
        await seed(pool, novel_id, 3)
    held, others = novels[0], novels[1:]
    async with pool.acquire() as holder, holder.transaction():
        await holder.execute("SELECT 1 FROM novels WHERE id = $1::uuid FOR UPDATE", held)
        waiting = asyncio.ensure_future(_timed_confirm(http, held))
        await _until_a_lock_wait(pool)
        answered = await asyncio.gather(*(_timed_confirm(http, n) for n in others))
        # Every other writer is answered while the row is still held (the figure: the note).
        assert [status for status, _ in answered] == [200, 200, 200], answered
        assert not waiting.done()
        print("other writers answered in", [round(seconds * 1000) for _, seconds in answered], "ms")
    status, _ = await waiting
    assert status == 200  # the row released: the held writer's confirmation is written
    done = await pool.fetch(
        "SELECT completed_chapters FROM novels WHERE id = ANY($1::uuid[])", novels
    )
    assert [row["completed_chapters"] for row in done] == [1, 1, 1, 1]


async def _race(http: httpx.AsyncClient, novel_id: str, chapter: int) -> list[int]:
    replies = await asyncio.gather(
        *(
            novel_command(http, novel_id, "ConfirmChapter", {"chapter": chapter, "text": f"v{n}"})
            for n in range(6)
        )
    )
    return [reply.status_code for reply in replies]


async def _conflicts(
    server: LiveServer, token: str, pool: asyncpg.Pool, rounds: int
) -> Counter[int]:
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(base_url=server.url, headers=headers, timeout=30) as http:
        _, novel_id = await finished_novel(http)
        await seed(pool, novel_id, 3)
        statuses: Counter[int] = Counter()
        for n in range(rounds):
            statuses.update(await _race(http, novel_id, 1 + n % 3))
    return statuses


async def test_the_same_chapter_race_conflicts_no_more_than_without_batching(
    live_server: LiveServer, settings: Settings, pool: asyncpg.Pool, user_id: uuid.UUID
) -> None:
    """One writer's six clients confirm one chapter at once, 50 times (300 confirmations):
    group commit must not make the 409s more frequent than one write per transaction does."""

    token = make_token(settings, user_id)
    alone = settings.model_copy(update={"write_batch_max": 1})
    with LiveServer(alone) as unbatched:
        without = await _conflicts(unbatched, token, pool, 50)
    batched = await _conflicts(live_server, token, pool, 50)
    print("409s in 300, batched:", batched[409], "unbatched:", without[409], batched, without)
    assert set(batched) | set(without) <= {200, 409}
    assert batched[409] <= without[409] + 5
