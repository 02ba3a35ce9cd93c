"""The storage ports' contract (tests/support/storage_contract.py) on PostgreSQL: the same tests
the in-memory adapters pass (unit/test_storage_contract_memory.py)."""

from collections.abc import AsyncIterator

import asyncpg
import pytest

from infinite_scribe.persistence.genesis.adapters import PostgresGenesisQueries
from infinite_scribe.persistence.repositories import unit_of_work
from infinite_scribe.persistence.writes.composer import WriteComposer
from tests.conftest import TEST_TOPIC
from tests.support.storage_contract import *  # noqa: F403  (the contract's tests run here)
from tests.support.storage_contract import Storage


@pytest.fixture
async def storage(pool: asyncpg.Pool) -> AsyncIterator[Storage]:
    uow = unit_of_work(pool, WriteComposer(TEST_TOPIC))
    yield Storage(uow, PostgresGenesisQueries(pool))
    await uow.close()
