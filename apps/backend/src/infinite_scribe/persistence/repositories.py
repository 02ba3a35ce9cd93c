"""Every repository adapter under its port's key: the one list a unit of work is built with."""

from typing import Any

import asyncpg

from infinite_scribe.application.ports.archive import ARCHIVE
from infinite_scribe.application.ports.flows import FLOW_HANDLES
from infinite_scribe.application.ports.genesis import GENESIS_SESSIONS
from infinite_scribe.application.ports.novels import NOVELS
from infinite_scribe.application.ports.projections import PROJECTIONS
from infinite_scribe.application.ports.storage import RepositoryKey
from infinite_scribe.application.ports.story import STORY, STORY_REBUILD
from infinite_scribe.application.ports.tasks import ASYNC_TASKS
from infinite_scribe.application.ports.trash import TRASH
from infinite_scribe.persistence.archive.store import PostgresArchiveRepository
from infinite_scribe.persistence.chapters.sql import PostgresNovelRepository
from infinite_scribe.persistence.genesis.adapters import PostgresGenesisRepository
from infinite_scribe.persistence.genesis.projections import PostgresProjectionRepository
from infinite_scribe.persistence.genesis.trash import PostgresTrashRepository
from infinite_scribe.persistence.story_memory.rebuild import PostgresStoryRebuild
from infinite_scribe.persistence.story_memory.store import PostgresStoryRepository
from infinite_scribe.persistence.tasks.async_tasks import PostgresTaskRepository
from infinite_scribe.persistence.tasks.flow_handles import PostgresFlowHandles
from infinite_scribe.persistence.writes.composer import WriteComposer
from infinite_scribe.persistence.writes.group_commit import DEFAULT_MAX_BATCH
from infinite_scribe.persistence.writes.unit_of_work import PostgresUnitOfWork, RepositoryFactory

REPOSITORIES: dict[RepositoryKey[Any], RepositoryFactory] = {
    GENESIS_SESSIONS: PostgresGenesisRepository,
    ASYNC_TASKS: PostgresTaskRepository,
    FLOW_HANDLES: PostgresFlowHandles,
    TRASH: PostgresTrashRepository,
    PROJECTIONS: PostgresProjectionRepository,
    NOVELS: PostgresNovelRepository,
    STORY: PostgresStoryRepository,
    STORY_REBUILD: PostgresStoryRebuild,
    ARCHIVE: PostgresArchiveRepository,
}


def unit_of_work(
    pool: asyncpg.Pool,
    composer: WriteComposer,
    database_url: str | None = None,
    write_batch_max: int = DEFAULT_MAX_BATCH,
    write_pool: asyncpg.Pool | None = None,
) -> PostgresUnitOfWork:
    """A unit of work on `pool` that knows every aggregate's repository (`database_url`: the
    relay wake-ups get their own connection, see persistence/outbox/notifier.py;
    `write_batch_max`: its group commit's batch, writes/group_commit.py; `write_pool`: where
    its autocommit writes run, database.create_write_pool)."""
    return PostgresUnitOfWork(
        pool, composer, REPOSITORIES, database_url, write_batch_max, write_pool
    )
