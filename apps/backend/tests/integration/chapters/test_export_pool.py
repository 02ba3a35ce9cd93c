"""The export build's process pool heals (issue 71, P3): a build process killed (as the OOM
killer would) is replaced and the build runs once more; a pool that breaks again is reported by
/health and the task fails with the reason. And a trashed novel's stored files are not served
(P7)."""

import functools
import multiprocessing
import os
import signal
from collections.abc import AsyncIterator, Callable
from concurrent.futures import Executor, ProcessPoolExecutor
from uuid import UUID

import asyncpg
import httpx
import pytest

from infinite_scribe.api.export_build import build_and_store
from infinite_scribe.api.novel_markdown import markdown_file
from infinite_scribe.application.exports import NovelExports
from infinite_scribe.application.reads import Reads
from infinite_scribe.persistence.exports.store import PostgresNovelExports
from infinite_scribe.persistence.genesis.reads import PostgresReadQueries
from tests.integration.chapters.test_export_jobs import ask, finished_task
from tests.integration.test_novels import finished_novel
from tests.support.chapter_api import error_code, novel_command
from tests.support.exports import dying_build
from tests.support.trash import restore, trash


def spawned_pools(made: list[ProcessPoolExecutor]) -> Callable[[], Executor]:
    """New one-process pools, as the API makes them, each kept in `made`."""

    def new() -> Executor:
        pool = ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn"))
        made.append(pool)
        return pool

    return new


@pytest.fixture
async def pools() -> AsyncIterator[list[ProcessPoolExecutor]]:
    made: list[ProcessPoolExecutor] = []
    yield made
    for pool in made:
        pool.shutdown(wait=False, cancel_futures=True)


def exports_on(
    pool: asyncpg.Pool, database_url: str, builders: Callable[[], Executor]
) -> NovelExports:
    build = functools.partial(build_and_store, database_url)
    reads = Reads(PostgresReadQueries(pool))
    renderers = {"markdown": markdown_file}
    return NovelExports(PostgresNovelExports(pool), reads, renderers, 1, builders, build)


def kill_processes(pool: ProcessPoolExecutor) -> None:
    for process in list(pool._processes.values()):
        os.kill(process.pid, signal.SIGKILL)
        process.join(10)


async def test_a_killed_build_process_is_replaced_and_the_next_export_builds(
    http: httpx.AsyncClient,
    pool: asyncpg.Pool,
    database_url: str,
    user_id: UUID,
    pools: list[ProcessPoolExecutor],
) -> None:
    _, novel_id = await finished_novel(http)
    exports = exports_on(pool, database_url, spawned_pools(pools))
    try:
        first = await exports.request(UUID(novel_id), user_id, "markdown")
        assert (await finished_task(http, str(first.task_id)))["status"] == "COMPLETED"
        kill_processes(pools[0])

        assert (
            await novel_command(http, novel_id, "RequestChapterDraft", {"chapter": 1})
        ).is_success
        again = await exports.request(UUID(novel_id), user_id, "markdown")
        assert (await finished_task(http, str(again.task_id)))["status"] == "COMPLETED"
        assert len(pools) == 2  # the broken pool replaced, once
        assert exports.health() == "ok"
        assert b"# " in await exports.download(UUID(novel_id), user_id, "markdown")
    finally:
        await exports.close()


async def test_a_pool_that_breaks_again_fails_the_build_and_health_says_so(
    http: httpx.AsyncClient,
    pool: asyncpg.Pool,
    user_id: UUID,
    pools: list[ProcessPoolExecutor],
) -> None:
    _, novel_id = await finished_novel(http)
    reads = Reads(PostgresReadQueries(pool))
    exports = NovelExports(
        PostgresNovelExports(pool),
        reads,
        {"markdown": markdown_file},
        1,
        spawned_pools(pools),
        dying_build,
    )
    try:
        ticket = await exports.request(UUID(novel_id), user_id, "markdown")
        task = await finished_task(http, str(ticket.task_id))
        assert task["status"] == "FAILED" and task["error"]["error_code"] == "EXPORT_FAILED"
        assert len(pools) == 3  # the first, its replacement (broken too), and a fresh one
        assert exports.health().startswith("unavailable: the build process died")
    finally:
        await exports.close()


async def test_a_trashed_novels_stored_file_is_not_served(http: httpx.AsyncClient) -> None:
    session_id, novel_id = await finished_novel(http)
    ticket = (await ask(http, novel_id)).json()
    assert (await finished_task(http, ticket["task_id"]))["status"] == "COMPLETED"
    assert (await http.get(ticket["download_url"])).status_code == 200

    assert (await trash(http, session_id)).status_code == 200
    refused = await http.get(ticket["download_url"])
    assert refused.status_code == 409 and error_code(refused) == "SESSION_TRASHED"

    assert (await restore(http, session_id)).status_code == 200
    assert (await http.get(ticket["download_url"])).status_code == 200
