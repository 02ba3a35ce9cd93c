"""Retention of the derived tables (issue 51): `scribe archive prune` deletes finished tasks,
finished commands' inbox rows and consumer ledger rows older than the cutoff, keeps the rest
(an unfinished task, a recent row, an inbox row a kept task points at)."""

import asyncio
import uuid
from uuid import UUID

import asyncpg
from typer.testing import CliRunner

from infinite_scribe.cli import app

runner = CliRunner()


async def _command(pool: asyncpg.Pool, status: str, days: int) -> UUID:
    command_id = uuid.uuid4()
    await pool.execute(
        "INSERT INTO command_inbox (id, session_id, command_type, idempotency_key, status, "
        "created_at) VALUES ($1, $2, 'C', $3, $4::command_status, "
        "now() - make_interval(days => $5))",
        command_id,
        uuid.uuid4(),
        command_id.hex,
        status,
        days,
    )
    return command_id


async def _task(pool: asyncpg.Pool, command_id: UUID | None, status: str, days: int) -> UUID:
    task_id = uuid.uuid4()
    async with pool.acquire() as connection, connection.transaction():
        await connection.execute("SET LOCAL session_replication_role = replica")  # keep the age
        await connection.execute(
            "INSERT INTO async_tasks (id, task_type, triggered_by_command_id, status, updated_at) "
            "VALUES ($1, 'T', $2, $3::task_status, now() - make_interval(days => $4))",
            task_id,
            command_id,
            status,
            days,
        )
    return task_id


async def _ledger(pool: asyncpg.Pool, days: int) -> UUID:
    event_id = uuid.uuid4()
    await pool.execute(
        "INSERT INTO processed_messages (consumer, event_id, processed_at) "
        "VALUES ('c', $1, now() - make_interval(days => $2))",
        event_id,
        days,
    )
    return event_id


async def _there(pool: asyncpg.Pool, table: str, column: str, key: UUID) -> bool:
    return bool(await pool.fetchval(f"SELECT count(*) FROM {table} WHERE {column} = $1", key))


async def test_prune_deletes_only_what_is_finished_and_old(
    pool: asyncpg.Pool, database_url: str
) -> None:
    old_command = await _command(pool, "COMPLETED", 40)
    old_task = await _task(pool, old_command, "COMPLETED", 40)
    held_command = await _command(pool, "COMPLETED", 40)
    running = await _task(pool, held_command, "RUNNING", 40)
    recent_task = await _task(pool, None, "FAILED", 5)
    pending_command = await _command(pool, "RECEIVED", 40)
    old_ledger, recent_ledger = await _ledger(pool, 40), await _ledger(pool, 5)

    result = await asyncio.to_thread(
        runner.invoke,
        app,
        ["archive", "prune", "--older-than-days", "30"],
        env={"DATABASE_URL": database_url},
    )

    assert result.exit_code == 0, result.output
    assert "async_tasks" in result.output and "processed_messages" in result.output
    gone = [(old_task, "async_tasks"), (old_command, "command_inbox")]
    kept = [(running, "async_tasks"), (recent_task, "async_tasks"), (held_command, "command_inbox")]
    kept.append((pending_command, "command_inbox"))
    for key, table in gone:
        assert not await _there(pool, table, "id", key), table
    for key, table in kept:
        assert await _there(pool, table, "id", key), table
    assert not await _there(pool, "processed_messages", "event_id", old_ledger)
    assert await _there(pool, "processed_messages", "event_id", recent_ledger)
