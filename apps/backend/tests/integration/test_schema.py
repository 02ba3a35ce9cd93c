"""The migration creates every enum, table, index and trigger of the schema
(docs/decisions/0001-schema-additions.md), and the downgrade removes them all."""

import asyncio
import uuid

import asyncpg
import pytest

from infinite_scribe.persistence import migrate
from shared_types import DATABASE_ENUMS
from tests.conftest import ALL_TABLES

EXPECTED_INDEXES = {
    "idx_domain_events_aggregate",
    "uq_domain_events_aggregate_version",
    "idx_command_inbox_unique_pending_command",
    "uq_command_inbox_user_idempotency_key",
    "idx_async_tasks_unfinished",
    "idx_event_outbox_pending",
    "idx_flow_resume_handles_unique_correlation",
    "idx_idempotency_cache_expires_at",
}
#: Tables whose trigger sets `updated_at` (command_inbox, async_tasks and genesis_sessions set it
#: in their statements since migration 0037: tests/unit/test_updated_at.py).
TABLES_WITH_UPDATED_AT = {
    "event_outbox",
    "flow_resume_handles",
    "novels",
}


async def _catalog(connection: asyncpg.Connection) -> dict[str, set[str]]:
    tables = await connection.fetch(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'"
    )
    types = await connection.fetch(
        "SELECT t.typname FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace "
        "WHERE n.nspname = 'public' AND t.typtype = 'e'"
    )
    indexes = await connection.fetch("SELECT indexname FROM pg_indexes WHERE schemaname = 'public'")
    triggers = await connection.fetch("SELECT tgname FROM pg_trigger WHERE NOT tgisinternal")
    functions = await connection.fetch(
        "SELECT proname FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace "
        "WHERE n.nspname = 'public'"
    )
    return {
        "tables": {row[0] for row in tables},
        "types": {row[0] for row in types},
        "indexes": {row[0] for row in indexes},
        "triggers": {row[0] for row in triggers},
        "functions": {row[0] for row in functions},
    }


async def test_upgrade_creates_everything(pool: asyncpg.Pool) -> None:
    async with pool.acquire() as connection:
        catalog = await _catalog(connection)
        assert set(ALL_TABLES) <= catalog["tables"]
        assert set(DATABASE_ENUMS) <= catalog["types"]
        assert catalog["indexes"] >= EXPECTED_INDEXES
        assert {f"set_timestamp_{table}" for table in TABLES_WITH_UPDATED_AT} <= catalog["triggers"]
        assert "trigger_set_timestamp" in catalog["functions"]
        for type_name, enum in DATABASE_ENUMS.items():
            labels = await connection.fetch(
                "SELECT unnest(enum_range(NULL::" + type_name + "))::text"
            )
            assert [row[0] for row in labels] == [member.value for member in enum]


async def test_partial_unique_indexes_are_exactly_as_specified(pool: asyncpg.Pool) -> None:
    definitions = dict(
        await pool.fetch(
            "SELECT indexname, indexdef FROM pg_indexes WHERE indexname = ANY($1::text[])",
            [
                "idx_command_inbox_unique_pending_command",
                "idx_flow_resume_handles_unique_correlation",
            ],
        )
    )
    inbox = definitions["idx_command_inbox_unique_pending_command"]
    assert "UNIQUE INDEX" in inbox and "(session_id, command_type)" in inbox
    assert "'RECEIVED'" in inbox and "'PROCESSING'" in inbox and "'COMPLETED'" not in inbox
    handles = definitions["idx_flow_resume_handles_unique_correlation"]
    assert "UNIQUE INDEX" in handles and "(correlation_id)" in handles
    assert "'PENDING_PAUSE'" in handles and "'PAUSED'" in handles and "'RESUMED'" not in handles


def test_downgrade_leaves_nothing_and_upgrade_again_works(fresh_database: object) -> None:
    url = str(fresh_database())  # type: ignore[operator]

    async def catalog() -> dict[str, set[str]]:
        connection = await asyncpg.connect(url)
        try:
            return await _catalog(connection)
        finally:
            await connection.close()

    empty = asyncio.run(catalog())
    migrate.upgrade(url)
    assert asyncio.run(migrate.current_revision(url)) is not None  # the head, whichever it is
    migrate.downgrade(url)
    after = asyncio.run(catalog())
    assert after["tables"] - {"alembic_version"} == empty["tables"]
    assert after["types"] == empty["types"]
    assert after["functions"] == empty["functions"]
    assert after["triggers"] == empty["triggers"]
    assert asyncio.run(migrate.current_revision(url)) is None
    migrate.upgrade(url)
    assert set(ALL_TABLES) <= asyncio.run(catalog())["tables"]


async def _insert_command(pool: asyncpg.Pool, session: uuid.UUID, status: str, kind: str) -> None:
    await pool.execute(
        "INSERT INTO command_inbox (session_id, command_type, idempotency_key, status) "
        "VALUES ($1, $2, $3, $4)",
        session,
        kind,
        uuid.uuid4().hex,
        status,
    )


@pytest.mark.parametrize("pending", ["RECEIVED", "PROCESSING"])
async def test_one_pending_command_per_session_and_type(pool: asyncpg.Pool, pending: str) -> None:
    session = uuid.uuid4()
    await _insert_command(pool, session, pending, "RequestConceptGeneration")
    with pytest.raises(asyncpg.UniqueViolationError) as raised:
        await _insert_command(pool, session, pending, "RequestConceptGeneration")
    assert raised.value.constraint_name == "idx_command_inbox_unique_pending_command"
    other_pending = "PROCESSING" if pending == "RECEIVED" else "RECEIVED"
    with pytest.raises(asyncpg.UniqueViolationError):
        await _insert_command(pool, session, other_pending, "RequestConceptGeneration")
    # Another type, a finished command, or another session are all fine.
    await _insert_command(pool, session, pending, "RequestStageGeneration")
    await _insert_command(pool, session, "COMPLETED", "RequestConceptGeneration")
    await _insert_command(pool, session, "FAILED", "RequestConceptGeneration")
    await _insert_command(pool, uuid.uuid4(), pending, "RequestConceptGeneration")


async def test_completed_then_received_is_allowed(pool: asyncpg.Pool) -> None:
    session = uuid.uuid4()
    await _insert_command(pool, session, "COMPLETED", "SubmitFeedback")
    await _insert_command(pool, session, "RECEIVED", "SubmitFeedback")
    count = await pool.fetchval("SELECT count(*) FROM command_inbox WHERE session_id = $1", session)
    assert count == 2


async def _insert_handle(pool: asyncpg.Pool, correlation: str, status: str) -> None:
    await pool.execute(
        "INSERT INTO flow_resume_handles (correlation_id, resume_handle, status) "
        "VALUES ($1, $2, $3)",
        correlation,
        {"flow": "x"},
        status,
    )


@pytest.mark.parametrize(
    ("first", "second"),
    [("PENDING_PAUSE", "PENDING_PAUSE"), ("PAUSED", "PAUSED"), ("PENDING_PAUSE", "PAUSED")],
)
async def test_one_waiting_handle_per_correlation(
    pool: asyncpg.Pool, first: str, second: str
) -> None:
    correlation = uuid.uuid4().hex
    await _insert_handle(pool, correlation, first)
    with pytest.raises(asyncpg.UniqueViolationError) as raised:
        await _insert_handle(pool, correlation, second)
    assert raised.value.constraint_name == "idx_flow_resume_handles_unique_correlation"


async def test_finished_handles_do_not_block(pool: asyncpg.Pool) -> None:
    correlation = uuid.uuid4().hex
    await _insert_handle(pool, correlation, "RESUMED")
    await _insert_handle(pool, correlation, "EXPIRED")
    await _insert_handle(pool, correlation, "RESUMED")
    await _insert_handle(pool, correlation, "PAUSED")
    count = await pool.fetchval(
        "SELECT count(*) FROM flow_resume_handles WHERE correlation_id = $1", correlation
    )
    assert count == 4
    status = await pool.fetchval(
        "SELECT status::text FROM flow_resume_handles WHERE correlation_id = $1 "
        "AND status = 'PAUSED'",
        correlation,
    )
    assert status == "PAUSED"


async def test_handle_status_defaults_to_pending_pause(pool: asyncpg.Pool) -> None:
    status = await pool.fetchval(
        "INSERT INTO flow_resume_handles (correlation_id, resume_handle) VALUES ($1, '{}') "
        "RETURNING status::text",
        uuid.uuid4().hex,
    )
    assert status == "PENDING_PAUSE"


@pytest.mark.parametrize(
    ("table", "insert", "update"),
    [
        (
            "novels",
            "INSERT INTO novels (title) VALUES ('t') RETURNING id",
            "UPDATE novels SET title = 'u' WHERE id = $1",
        ),
        (
            "event_outbox",
            "INSERT INTO event_outbox (topic, payload) VALUES ('t', '{}') RETURNING id",
            "UPDATE event_outbox SET attempts = 1 WHERE id = $1",
        ),
        (
            "flow_resume_handles",
            "INSERT INTO flow_resume_handles (correlation_id, resume_handle, status) "
            "VALUES (gen_random_uuid()::text, '{}', 'RESUMED') RETURNING id",
            "UPDATE flow_resume_handles SET status = 'EXPIRED' WHERE id = $1",
        ),
    ],
)
async def test_updated_at_changes_on_update(
    pool: asyncpg.Pool, table: str, insert: str, update: str
) -> None:
    """The trigger's tables (command_inbox, async_tasks and genesis_sessions set `updated_at` in
    their statements since 0037: tests/unit/test_updated_at.py)."""
    async with pool.acquire() as connection:
        row_id = await connection.fetchval(insert)
        before = await connection.fetchval(f"SELECT updated_at FROM {table} WHERE id = $1", row_id)
        await connection.execute(update, row_id)  # a new transaction: now() moves on
        after = await connection.fetchval(f"SELECT updated_at FROM {table} WHERE id = $1", row_id)
    assert after > before


async def test_domain_event_ids_increase_in_insert_order(pool: asyncpg.Pool) -> None:
    aggregate = uuid.uuid4().hex
    ids = []
    for version in range(1, 6):
        ids.append(
            await pool.fetchval(
                "INSERT INTO domain_events (event_type, aggregate_type, aggregate_id, "
                "aggregate_version) VALUES ('Genesis.Session.Created', 'T', $1, $2) RETURNING id",
                aggregate,
                version,
            )
        )
    assert ids == sorted(ids) and len(set(ids)) == 5


async def test_domain_events_are_append_only(pool: asyncpg.Pool) -> None:
    event_id = await pool.fetchval(
        "INSERT INTO domain_events (event_type, aggregate_type, aggregate_id, aggregate_version) "
        "VALUES ('Genesis.Session.Created', 'T', $1, 1) RETURNING id",
        uuid.uuid4().hex,
    )
    with pytest.raises(asyncpg.RestrictViolationError):
        await pool.execute("UPDATE domain_events SET payload = '{}' WHERE id = $1", event_id)
    with pytest.raises(asyncpg.RestrictViolationError):
        await pool.execute("DELETE FROM domain_events WHERE id = $1", event_id)


async def test_aggregate_version_is_unique(pool: asyncpg.Pool) -> None:
    aggregate = uuid.uuid4().hex
    sql = (
        "INSERT INTO domain_events (event_type, aggregate_type, aggregate_id, aggregate_version) "
        "VALUES ('Genesis.Session.Created', 'T', $1, 1)"
    )
    await pool.execute(sql, aggregate)
    with pytest.raises(asyncpg.UniqueViolationError):
        await pool.execute(sql, aggregate)


async def test_progress_is_bounded(pool: asyncpg.Pool) -> None:
    with pytest.raises(asyncpg.CheckViolationError):
        await pool.execute("INSERT INTO async_tasks (task_type, progress) VALUES ('t', 100.01)")
