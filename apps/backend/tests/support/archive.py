"""Helpers for the archive tests: a finished session with proposals, and where its rows live."""

from uuid import UUID

import asyncpg
import httpx

from infinite_scribe.application.archive import ArchiveService
from infinite_scribe.persistence.repositories import unit_of_work
from infinite_scribe.persistence.writes.composer import WriteComposer
from infinite_scribe.settings.settings import Settings
from tests.conftest import TEST_TOPIC
from tests.support.genesis_client import new_session, state
from tests.support.history import walk


def archive_service(pool: asyncpg.Pool) -> ArchiveService:
    return ArchiveService(unit_of_work(pool, WriteComposer(TEST_TOPIC)))


async def finished_book(
    http: httpx.AsyncClient, pool: asyncpg.Pool, settings: Settings
) -> tuple[UUID, UUID]:
    """A session walked through its five stages with offline proposals, and its novel."""
    session_id = await new_session(http, initial_user_input={"idea": "a lighthouse"})
    await walk(http, pool, settings, session_id, 5)
    novel_id = (await state(http, session_id))["novel_id"]
    assert novel_id is not None
    return session_id, UUID(novel_id)


async def partitions(pool: asyncpg.Pool, *ids: UUID) -> dict[str, int]:
    """Partition name -> how many events of these aggregate ids it holds."""
    rows = await pool.fetch(
        "SELECT tableoid::regclass::text AS part, count(*) AS n FROM domain_events "
        "WHERE aggregate_id = ANY($1::text[]) AND aggregate_type <> 'ARCHIVE' GROUP BY 1",
        [str(i) for i in ids],
    )
    return {row["part"]: row["n"] for row in rows}


async def archive_events(pool: asyncpg.Pool, session_id: UUID) -> list[tuple[str, dict]]:  # type: ignore[type-arg]
    rows = await pool.fetch(
        "SELECT event_type, payload FROM domain_events WHERE aggregate_type = 'ARCHIVE' "
        "AND aggregate_id = $1 ORDER BY aggregate_version",
        str(session_id),
    )
    return [(row["event_type"], dict(row["payload"])) for row in rows]
