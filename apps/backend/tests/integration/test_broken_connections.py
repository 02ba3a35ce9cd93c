"""A connection whose server side died is closed, never handed to the next request (issue 28,
A5), in a pool that runs no reset statement (`keep_session`) as in one that does (asyncpg does
this itself; the test pins it); and what such a connection raises is StorageUnavailable (503):
"cannot switch to state 12" is an InternalClientError, which is neither an InterfaceError nor a
PostgresError and used to reach the API as a 500."""

import asyncpg
import pytest

from infinite_scribe.domain.errors import StorageUnavailable
from infinite_scribe.persistence.database import create_pool, keep_session
from infinite_scribe.persistence.errors import translate

FAILURES = (asyncpg.InternalClientError, asyncpg.InterfaceError, asyncpg.PostgresError, OSError)


@pytest.mark.parametrize("reset", [keep_session, None])
async def test_a_connection_killed_under_a_statement_is_not_pooled_again(
    database_url: str, pool: asyncpg.Pool, reset: object
) -> None:
    scribe_pool = await create_pool(database_url, min_size=1, max_size=1, reset=reset)  # type: ignore[arg-type]
    try:
        async with scribe_pool.acquire() as connection:
            victim = await connection.fetchval("SELECT pg_backend_pid()")
            await pool.execute("SELECT pg_terminate_backend($1)", victim)
            # What a request met after the postmaster died: "cannot switch to state ..."
            with pytest.raises(FAILURES):
                await connection.fetchval("SELECT 1")
        # The only slot now holds a new connection to a live backend.
        async with scribe_pool.acquire() as connection:
            assert await connection.fetchval("SELECT pg_backend_pid()") != victim
            assert await connection.fetchval("SELECT 1") == 1
    finally:
        await scribe_pool.close()


def test_a_protocol_state_error_is_storage_unavailable() -> None:
    error = asyncpg.InternalClientError(
        "cannot switch to state 12; another operation (2) is in progress"
    )
    assert isinstance(translate(error), StorageUnavailable)
