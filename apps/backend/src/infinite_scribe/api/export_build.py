"""A novel's file built where its build runs (decision 5400): the build's process reads the
novel, renders it and stores the file on a small pool of its own, so that the book's
megabytes (9 MB of chapters in, 9 MB of Markdown out for 1,000 chapters) never pass through the
API's process and its loop."""

from uuid import UUID

import asyncpg

from infinite_scribe.application.exports import Render, build_file
from infinite_scribe.persistence.database import run_with_pool
from infinite_scribe.persistence.exports.store import PostgresNovelExports
from infinite_scribe.persistence.genesis.novels import PostgresNovelQueries


def build_and_store(
    database_url: str, render: Render, novel_id: UUID, user_id: UUID, media: str, task_id: UUID
) -> bool:
    """Build and store the file (in the build's process; False: the novel is gone)."""

    async def build(pool: asyncpg.Pool) -> bool:
        source = await PostgresNovelQueries(pool).novel_source(novel_id, user_id)
        if source is None:
            return False
        await PostgresNovelExports(pool).built(novel_id, media, task_id, build_file(render, source))
        return True

    return run_with_pool(database_url, build)
