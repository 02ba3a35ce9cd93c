"""A writer who returns to an archived book brings it back (issue 51): a session command, a
novel command and the trash each move its events to the hot partition first and record it;
a writer that read before the archive committed is refused and runs again; no version and no
stream is ever taken twice across the two partitions (Marten's bug classes)."""

import asyncio
import uuid
from dataclasses import replace
from uuid import UUID

import asyncpg
import httpx
import pytest

from infinite_scribe.application.ports.writes import NewSession, SnapshotSave, Write
from infinite_scribe.domain.errors import ConcurrencyConflict, NotFound, ScribeError
from infinite_scribe.persistence.genesis.sessions import load_session
from infinite_scribe.persistence.repositories import unit_of_work
from infinite_scribe.persistence.writes.composer import WriteComposer
from infinite_scribe.settings.settings import Settings
from tests.conftest import TEST_TOPIC
from tests.support.archive import archive_events, archive_service, finished_book, partitions
from tests.support.chapter_api import novel_command
from tests.support.genesis_client import state
from tests.support.history import history, ok, rollback, versions
from tests.support.stream import event
from tests.support.trash import trash

HOT, ARCHIVED = "domain_events_hot", "domain_events_archived"

# Every stream's versions, across both partitions: a version taken twice shows up here.
_TWICE = """
SELECT aggregate_type, aggregate_id, aggregate_version FROM domain_events
WHERE aggregate_id = ANY($1::text[])
GROUP BY 1, 2, 3 HAVING count(*) > 1
"""


async def _flags(pool: asyncpg.Pool, session_id: UUID) -> tuple[bool, bool]:
    row = await pool.fetchrow(
        "SELECT s.archived_at IS NOT NULL AS s, n.archived_at IS NOT NULL AS n "
        "FROM genesis_sessions s JOIN novels n ON n.id = s.novel_id WHERE s.id = $1",
        session_id,
    )
    assert row is not None
    return row["s"], row["n"]


async def test_a_session_command_brings_an_archived_session_back(
    http: httpx.AsyncClient, pool: asyncpg.Pool, settings: Settings
) -> None:
    session_id, novel_id = await finished_book(http, pool, settings)
    await archive_service(pool).archive(session_id)
    target = versions(await history(http, session_id), "PLOT_OUTLINE")[0]

    ok(await rollback(http, session_id, target["event_id"]))

    assert set(await partitions(pool, session_id, novel_id)) == {HOT}
    assert await _flags(pool, session_id) == (False, False)
    assert [kind for kind, _ in await archive_events(pool, session_id)] == [
        "Archive.Session.Archived",
        "Archive.Session.Unarchived",
    ]
    assert (await state(http, session_id))["current_stage"] == "PLOT_OUTLINE"


async def test_a_novel_command_brings_its_book_back(
    http: httpx.AsyncClient, pool: asyncpg.Pool, settings: Settings
) -> None:
    session_id, novel_id = await finished_book(http, pool, settings)
    await archive_service(pool).archive(session_id)
    reply = await novel_command(http, novel_id, "RequestChapterDraft", {"chapter": 1})
    assert reply.status_code == 202, reply.text
    assert set(await partitions(pool, session_id, novel_id)) == {HOT}
    assert await _flags(pool, session_id) == (False, False)
    body = (await archive_events(pool, session_id))[-1][1]
    assert body["reason"] == "write" and body["events_moved"] > 0


async def test_trashing_an_archived_session_brings_it_back_first(
    http: httpx.AsyncClient, pool: asyncpg.Pool, settings: Settings
) -> None:
    session_id, novel_id = await finished_book(http, pool, settings)
    await archive_service(pool).archive(session_id)
    trashed = await trash(http, session_id)
    assert trashed.status_code == 200, trashed.text
    assert set(await partitions(pool, session_id, novel_id)) == {HOT}
    assert await _flags(pool, session_id) == (False, False)


async def test_archiving_a_busy_session_is_refused(
    http: httpx.AsyncClient, pool: asyncpg.Pool, settings: Settings
) -> None:
    session_id, novel_id = await finished_book(http, pool, settings)
    reply = await novel_command(http, novel_id, "RequestChapterDraft", {"chapter": 1})
    assert reply.status_code == 202
    with pytest.raises(ScribeError) as refused:
        await archive_service(pool).archive(session_id)
    assert refused.value.error_code == "SESSION_BUSY"
    assert set(await partitions(pool, session_id, novel_id)) == {HOT}
    assert await archive_events(pool, session_id) == []


async def test_a_writer_that_read_before_the_archive_is_refused(
    http: httpx.AsyncClient, pool: asyncpg.Pool, settings: Settings
) -> None:
    session_id, novel_id = await finished_book(http, pool, settings)
    read = await load_session(pool, session_id)
    assert read is not None and not read.archived
    await archive_service(pool).archive(session_id)
    before = await partitions(pool, session_id, novel_id)
    after = replace(read.state, version=read.state.version + 1)
    stale = Write(
        events=[event(str(session_id), read.state.version + 1)],
        snapshot=SnapshotSave(read.state.version, after),
    )
    uow = unit_of_work(pool, WriteComposer(TEST_TOPIC))
    with pytest.raises(ConcurrencyConflict):
        await uow.writes.write(stale)
    assert await partitions(pool, session_id, novel_id) == before == {ARCHIVED: before[ARCHIVED]}
    await uow.close()


async def test_a_new_stream_cannot_take_an_archived_streams_id(
    http: httpx.AsyncClient, pool: asyncpg.Pool, settings: Settings
) -> None:
    session_id, novel_id = await finished_book(http, pool, settings)
    await archive_service(pool).archive(session_id)
    owner = await pool.fetchval("SELECT user_id FROM genesis_sessions WHERE id = $1", session_id)
    again = Write(session=NewSession(session_id, owner, 1), events=[event(str(session_id), 1)])
    uow = unit_of_work(pool, WriteComposer(TEST_TOPIC))
    with pytest.raises(ScribeError):
        await uow.writes.write(again)
    assert HOT not in await partitions(pool, session_id, novel_id)
    assert await pool.fetch(_TWICE, [str(session_id)]) == []
    await uow.close()


async def test_archive_and_writers_race_without_a_version_taken_twice(
    http: httpx.AsyncClient, pool: asyncpg.Pool, settings: Settings
) -> None:
    """Archive, a rollback and a feedback race, twelve rounds: each writer succeeds (or loses
    an optimistic race it is told about), and afterwards the flags match where the rows are."""
    session_id, novel_id = await finished_book(http, pool, settings)
    target = versions(await history(http, session_id), "CHARACTERS")[0]["event_id"]
    archive = archive_service(pool)
    for _ in range(12):
        archived, reply = await asyncio.gather(
            archive.archive(session_id),
            rollback(http, session_id, target, **{"Idempotency-Key": uuid.uuid4().hex}),
        )
        assert reply.status_code in (200, 409), reply.text
        if reply.status_code == 409:
            assert reply.json()["error_code"] == "CONCURRENCY_CONFLICT"
        places = await partitions(pool, session_id, novel_id)
        flagged = await _flags(pool, session_id)
        assert len(places) == 1, places  # never split between the partitions
        assert flagged == ((ARCHIVED in places),) * 2, (flagged, places, archived)
        assert await pool.fetch(_TWICE, [str(session_id), str(novel_id)]) == []


async def test_archiving_an_unknown_session_is_not_found(pool: asyncpg.Pool) -> None:
    with pytest.raises(NotFound):
        await archive_service(pool).archive(uuid.uuid4())
