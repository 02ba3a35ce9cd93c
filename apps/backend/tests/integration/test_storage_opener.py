"""The one storage opener (persistence/storage.py): every process's unit of work is bound to
the configured event size limit (the maintenance commands' dropped it), and what it opened is
closed when the block ends."""

import asyncpg
import pytest

from infinite_scribe.cli.projections import maintenance
from infinite_scribe.persistence.storage import StorageOptions, open_storage
from infinite_scribe.settings.settings import Settings


async def test_the_opener_binds_the_limit_and_closes_what_it_opened(database_url: str) -> None:
    options = StorageOptions(database_url, "opener-test", 12_345, write_pool_size=1)
    async with open_storage(options) as storage:
        assert storage.uow.composer.max_event_bytes == 12_345
        assert storage.uow.composer.topic == "opener-test"
        assert await storage.pool.fetchval("SELECT 1") == 1
    assert storage.pool.is_closing()
    with pytest.raises(asyncpg.InterfaceError):
        await storage.pool.fetchval("SELECT 1")


async def test_the_maintenance_commands_keep_the_configured_event_limit(
    settings: Settings, database_url: str
) -> None:
    limited = settings.model_copy(update={"event_max_bytes": 54_321})
    async with maintenance(limited, database_url) as services:
        assert services.archive.uow.composer.max_event_bytes == 54_321  # type: ignore[attr-defined]
        assert services.archive.uow.composer.topic == settings.kafka_topic  # type: ignore[attr-defined]
