"""The unit of work: one REPEATABLE READ transaction per attempt, bounded retries, and the one
place where asyncpg errors become the project's exceptions."""

import asyncio
import logging
import random
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import TypeVar

import asyncpg

from infinite_scribe.domain.errors import ConcurrencyConflict, StorageUnavailable

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 5

T = TypeVar("T")

#: Errors that mean "somebody else won this race; run the whole transaction again".
_RETRYABLE = (asyncpg.SerializationError, asyncpg.DeadlockDetectedError)


class UniqueConflict(Exception):
    """A unique index refused the write; `constraint` names it."""

    def __init__(self, constraint: str | None) -> None:
        super().__init__(constraint)
        self.constraint = constraint


@asynccontextmanager
async def transaction(pool: asyncpg.Pool) -> AsyncIterator[asyncpg.Connection]:
    """A connection in a REPEATABLE READ transaction, committed on success; errors translated."""
    try:
        async with (
            pool.acquire() as connection,
            connection.transaction(isolation="repeatable_read"),
        ):
            yield connection
    except asyncpg.UniqueViolationError as error:
        raise UniqueConflict(error.constraint_name) from error
    except _RETRYABLE as error:
        raise ConcurrencyConflict("The session was changed concurrently") from error
    except (asyncpg.PostgresError, asyncpg.InterfaceError, OSError) as error:
        logger.exception("database failure")
        raise StorageUnavailable("The database failed; retry the request") from error


async def with_retries(attempt: Callable[[int], Awaitable[T]]) -> T:
    """Run `attempt(n)` until it does not lose an optimistic race, at most MAX_ATTEMPTS times."""
    for number in range(1, MAX_ATTEMPTS + 1):
        try:
            return await attempt(number)
        except ConcurrencyConflict:
            if number == MAX_ATTEMPTS:
                raise
            # Jitter so that the losers of one race do not collide again in lockstep.
            await asyncio.sleep(random.uniform(0, 0.002 * number))
    raise AssertionError("unreachable")


async def read(pool: asyncpg.Pool, query: Callable[[asyncpg.Pool], Awaitable[T]]) -> T:
    """A read outside any transaction, with driver errors translated."""
    try:
        return await query(pool)
    except (asyncpg.PostgresError, asyncpg.InterfaceError, OSError) as error:
        logger.exception("database failure")
        raise StorageUnavailable("The database failed; retry the request") from error
