"""How a process opens its storage, one way for all (the API, the agent worker, the operator's
and the maintenance commands): a pool, the unit of work on it with every repository (its
composer bound to the topic and the event size limit: none of them may drop it), and, where
the process writes much in autocommit, the writes' own pool (decision 5002). Closed in
reverse, also after an opening that failed part way."""

from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass

import asyncpg

from infinite_scribe.persistence.database import (
    close_pool,
    create_pool,
    create_write_pool,
    keep_session as no_reset,
)
from infinite_scribe.persistence.repositories import unit_of_work
from infinite_scribe.persistence.writes.composer import WriteComposer
from infinite_scribe.persistence.writes.group_commit import DEFAULT_MAX_BATCH
from infinite_scribe.persistence.writes.unit_of_work import PostgresUnitOfWork


@dataclass(frozen=True)
class StorageOptions:
    database_url: str
    #: The events' topic (the outbox rows name it) and their size limit (EVENT_MAX_BYTES).
    topic: str
    event_max_bytes: int
    pool_size: int = 2
    min_size: int = 1
    #: Connections of the autocommit writes' own pool (0: they run on the pool).
    write_pool_size: int = 0
    #: Group commit's batch (persistence/writes/group_commit.py).
    write_batch_max: int = DEFAULT_MAX_BATCH
    #: The pool's users never change session state: no reset round trip per release.
    keep_session: bool = False


@dataclass(frozen=True)
class Storage:
    pool: asyncpg.Pool
    uow: PostgresUnitOfWork


@asynccontextmanager
async def open_storage(options: StorageOptions) -> AsyncIterator[Storage]:
    """The pool and the unit of work on it, closed (in reverse) when the block ends."""
    async with AsyncExitStack() as opened:
        url = options.database_url
        reset = no_reset if options.keep_session else None
        pool = await create_pool(
            url, min_size=options.min_size, max_size=options.pool_size, reset=reset
        )
        opened.push_async_callback(close_pool, pool)
        write_pool = None
        if options.write_pool_size:
            write_pool = await create_write_pool(url, options.write_pool_size)
            opened.push_async_callback(close_pool, write_pool)
        composer = WriteComposer(options.topic, options.event_max_bytes)
        uow = unit_of_work(pool, composer, url, options.write_batch_max, write_pool)
        opened.push_async_callback(uow.close)
        yield Storage(pool, uow)
