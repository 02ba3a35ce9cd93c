"""The relay tests' databases in logical mode (decision 2600)."""

import asyncio
from collections.abc import AsyncIterator, Iterator

import asyncpg
import pytest

from infinite_scribe.persistence import migrate
from infinite_scribe.persistence.database import create_pool
from infinite_scribe.persistence.outbox import slot, switch


@pytest.fixture
def logical_url(fresh_database: object) -> Iterator[str]:
    """A database of its own in logical mode (the switch is per database)."""
    url = str(fresh_database())  # type: ignore[operator]
    migrate.upgrade(url)

    async def flip(on: bool) -> None:
        connection = await asyncpg.connect(url)
        try:
            await (switch.switch_on if on else slot.drop)(connection)
        finally:
            await connection.close()

    asyncio.run(flip(True))
    yield url
    asyncio.run(flip(False))  # a database with a slot cannot be dropped


@pytest.fixture
async def logical_pool(logical_url: str) -> AsyncIterator[asyncpg.Pool]:
    pool = await create_pool(logical_url, min_size=1, max_size=4)
    yield pool
    await pool.close()
