"""The continuity check's backlog on PostgreSQL (issue 71): a check is taken at its start (an
event checked already costs one read; a check begun too often is recorded without its costly
parts), and the re-drive finds, in log order, the events no check recorded and publishes them
again through the outbox."""

import uuid

import asyncpg
import httpx

from infinite_scribe.agents.continuity.redrive import MAX_REDRIVES, CheckRedrive
from infinite_scribe.application.continuity import MAX_ATTEMPTS
from infinite_scribe.domain.chapters import CONFIRMED
from infinite_scribe.persistence.tasks import checks
from infinite_scribe.persistence.tasks.checks import PostgresCheckBacklog, PostgresCheckLedger
from shared_types import EventEnvelope
from tests.conftest import TEST_TOPIC
from tests.support.continuity import continuity_work, finished, memory, novel_event
from tests.support.events import append_events

DIES = "The storm broke at midnight. Ilya was killed in the storm at Port Sable."
CONSUMER = "test.continuity"


async def _stored(
    pool: asyncpg.Pool, novel: tuple[uuid.UUID, uuid.UUID], chapter: int, text: str
) -> EventEnvelope:
    event = novel_event(*novel, CONFIRMED, {"chapter": chapter, "text": text, "edited": False})
    await append_events(pool, [event], wake=False)
    return event


class _Published(PostgresCheckBacklog):
    """The backlog, remembering what it published, in order."""

    published: list[str]

    async def publish(self, envelopes: list[dict[str, object]]) -> None:
        self.published = [str(e["event_id"]) for e in envelopes]
        await super().publish(envelopes)


async def test_a_check_is_taken_at_its_start_and_forgotten_once_stored(
    http: httpx.AsyncClient, clean_db: asyncpg.Pool, user_id: uuid.UUID
) -> None:
    novel = (await finished(http), user_id)
    ledger = PostgresCheckLedger(clean_db)
    event = await _stored(clean_db, novel, 1, DIES)
    assert await ledger.begin(CONSUMER, event.event_id) == 1
    assert await ledger.begin(CONSUMER, event.event_id) == 2  # a restart: begun again
    work = continuity_work(clean_db)
    work.ledger = ledger
    assert await work.handle(event)
    left = "SELECT count(*) FROM continuity_attempts WHERE event_id = $1"
    assert await clean_db.fetchval(left, event.event_id) == 0
    assert await ledger.begin(CONSUMER, event.event_id) is None  # checked: nothing to do
    assert not await work.handle(event)


async def test_a_check_begun_too_often_is_recorded_without_its_costly_parts(
    http: httpx.AsyncClient, clean_db: asyncpg.Pool, user_id: uuid.UUID
) -> None:
    novel_id = await finished(http)
    ledger = PostgresCheckLedger(clean_db)
    event = await _stored(clean_db, (novel_id, user_id), 1, DIES)
    for _ in range(MAX_ATTEMPTS):
        await ledger.begin(CONSUMER, event.event_id)  # each ended by a crash
    work = continuity_work(clean_db)
    work.ledger = ledger
    assert await work.handle(event)
    checked = await clean_db.fetchval(
        "SELECT payload FROM domain_events WHERE aggregate_id = $1 AND event_type = $2",
        str(novel_id),
        "Novel.Memory.ChapterChecked",
    )
    assert checked["incomplete"] == "budget" and checked["read"]["facts"] == []
    ilya = next(
        c for c in (await memory(http, novel_id))["characters"] if c["name"] == "Ilya Brandt"
    )
    assert ilya["status"] != "dead"  # not read: the chapter's facts are not there


async def test_the_redrive_publishes_again_what_no_check_recorded_in_log_order(
    http: httpx.AsyncClient, clean_db: asyncpg.Pool, user_id: uuid.UUID
) -> None:
    novel = (await finished(http), user_id)
    first = await _stored(clean_db, novel, 1, DIES)
    second = await _stored(clean_db, novel, 2, "Morning came grey over the water.")
    third = await _stored(clean_db, novel, 3, "The gulls were loud over Port Sable.")
    work = continuity_work(clean_db)
    assert await work.handle(first)
    backlog = _Published(clean_db, TEST_TOPIC)
    redrive = CheckRedrive(backlog, CONSUMER, 0)
    outbox = "SELECT event_id FROM event_outbox WHERE event_id = ANY($1::uuid[])"
    ids = [second.event_id, third.event_id]
    await clean_db.execute("DELETE FROM event_outbox")
    assert await redrive.sweep() == 2
    assert backlog.published == [str(i) for i in ids]  # in log order
    assert {r["event_id"] for r in await clean_db.fetch(outbox, ids)} == set(ids)
    # The cursor passed the checked prefix (the first event) and stops at the second.
    first_id = await clean_db.fetchval(
        "SELECT id FROM domain_events WHERE event_id = $1", first.event_id
    )
    assert redrive.cursor == first_id
    assert await work.handle(second) and await work.handle(third)
    assert await redrive.sweep() == 0
    assert redrive.cursor > first_id


async def test_a_poison_event_is_published_again_a_few_times_only(
    http: httpx.AsyncClient, clean_db: asyncpg.Pool, user_id: uuid.UUID
) -> None:
    novel = (await finished(http), user_id)
    await _stored(clean_db, novel, 1, DIES)
    redrive = CheckRedrive(PostgresCheckBacklog(clean_db, TEST_TOPIC), CONSUMER, 0)
    counts = [await redrive.sweep() for _ in range(MAX_REDRIVES + 2)]
    assert counts == [1] * MAX_REDRIVES + [0, 0]


async def test_the_redrive_reads_its_own_index_and_no_other_statement_does(
    clean_db: asyncpg.Pool,
) -> None:
    """Among 20,000 other events, the re-drive's page is an index scan of the partial index
    (migration 0034), whose predicate no other statement states."""
    await clean_db.execute(
        "INSERT INTO domain_events (event_type, aggregate_type, aggregate_id, aggregate_version) "
        "SELECT CASE WHEN n % 1000 = 0 THEN $1 ELSE 'Other.Event' END, 'NOVEL', 'n', n "
        "FROM generate_series(1, 20000) AS n",
        CONFIRMED,
    )
    async with clean_db.acquire() as connection:
        await connection.execute("ANALYZE domain_events")
        index = await connection.fetchval(
            "SELECT indexname FROM pg_indexes WHERE tablename = 'domain_events_hot' "
            "AND indexdef LIKE '%metadata IS NOT NULL%'"
        )
        plan = await connection.fetchval(
            f"EXPLAIN (FORMAT JSON) {checks._BACKLOG}", CONSUMER, 0, 0.0, 500, 86_400.0
        )
    assert index is not None and index in str(plan), plan
