"""The storage ports' contract (tests/support/storage_contract.py) on the in-memory adapters, at
unit speed: no database is started for it."""

from collections.abc import AsyncIterator

import pytest

from tests.support.memory.adapters import (
    MemoryDatabase,
    MemoryGenesis,
    MemoryUnitOfWork,
)
from tests.support.storage_contract import *  # noqa: F403  (the contract's tests run here)
from tests.support.storage_contract import Storage


@pytest.fixture
async def storage() -> AsyncIterator[Storage]:
    db = MemoryDatabase()
    yield Storage(MemoryUnitOfWork(db), MemoryGenesis(db))
