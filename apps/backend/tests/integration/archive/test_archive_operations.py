"""The archive's operations (issue 51): `scribe archive session|finished|trashed`, the sweeper of
`scribe up`, and the operator's console action (audited, idempotent)."""

import asyncio
import time
import uuid
from uuid import UUID

import asyncpg
import httpx
import pytest
from typer.testing import CliRunner

from infinite_scribe.cli import app
from infinite_scribe.cli.trash import run_trash_sweeper
from infinite_scribe.settings.settings import Settings
from tests.support.archive import archive_events, finished_book, partitions
from tests.support.console import action, console, console_settings, operator
from tests.support.genesis_client import new_session
from tests.support.trash import ok, trash

runner = CliRunner()
ARCHIVED = {"domain_events_archived"}

__all__ = ["console", "console_settings", "operator"]  # fixtures used below


async def idle_for(pool: asyncpg.Pool, session_id: UUID, days: float) -> None:
    """Age a book as if nobody had touched it for `days` (the timestamp trigger held off)."""
    async with pool.acquire() as connection, connection.transaction():
        await connection.execute("SET LOCAL session_replication_role = replica")
        await connection.execute(
            "UPDATE genesis_sessions SET updated_at = now() - make_interval(days => $2), "
            "trashed_at = trashed_at - make_interval(days => $2) WHERE id = $1",
            session_id,
            int(days),
        )
        await connection.execute(
            "UPDATE novels SET updated_at = now() - make_interval(days => $2) "
            "WHERE id = (SELECT novel_id FROM genesis_sessions WHERE id = $1)",
            session_id,
            int(days),
        )


async def scribe(database_url: str, *args: str) -> tuple[int, str]:
    result = await asyncio.to_thread(
        runner.invoke, app, list(args), env={"DATABASE_URL": database_url}
    )
    return result.exit_code, result.output


async def test_scribe_archive_session_is_idempotent_and_refuses_an_unknown_id(
    http: httpx.AsyncClient, pool: asyncpg.Pool, settings: Settings, database_url: str
) -> None:
    session_id, novel_id = await finished_book(http, pool, settings)
    code, output = await scribe(database_url, "archive", "session", str(session_id))
    assert code == 0 and f"archived session {session_id}" in output, output
    code, output = await scribe(database_url, "archive", "session", str(session_id))
    assert code == 0 and "was archived already" in output, output
    assert set(await partitions(pool, session_id, novel_id)) == ARCHIVED
    code, output = await scribe(database_url, "archive", "session", str(uuid.uuid4()))
    assert code == 1 and "NOT_FOUND" in output


async def test_scribe_archive_finished_takes_only_the_idle_books(
    http: httpx.AsyncClient, pool: asyncpg.Pool, settings: Settings, database_url: str
) -> None:
    idle, idle_novel = await finished_book(http, pool, settings)
    active, active_novel = await finished_book(http, pool, settings)
    unfinished = await new_session(http)
    await idle_for(pool, idle, 40)
    await idle_for(pool, unfinished, 40)
    code, output = await scribe(database_url, "archive", "finished", "--older-than-days", "30")
    assert code == 0 and "archived" in output, output
    assert set(await partitions(pool, idle, idle_novel)) == ARCHIVED
    assert set(await partitions(pool, active, active_novel)) == {"domain_events_hot"}
    assert set(await partitions(pool, unfinished)) == {"domain_events_hot"}
    reason = (await archive_events(pool, idle))[0][1]["reason"]
    assert reason == "finished"


async def test_the_sweeper_archives_sessions_trashed_past_the_setting(
    http: httpx.AsyncClient, pool: asyncpg.Pool, settings: Settings
) -> None:
    session_id = await new_session(http)
    ok(await trash(http, session_id))
    await idle_for(pool, session_id, 3)
    fast = settings.model_copy(
        update={"archive_trashed_after_days": 2.0, "trash_sweep_interval": 0.2}
    )
    stop = asyncio.Event()
    sweeper = asyncio.create_task(run_trash_sweeper(fast, stop))
    try:
        deadline = time.monotonic() + 20
        while set(await partitions(pool, session_id)) != ARCHIVED:
            assert time.monotonic() < deadline, "the sweeper did not archive the trashed session"
            await asyncio.sleep(0.1)
    finally:
        stop.set()
        await asyncio.wait_for(sweeper, 5)
    assert (await archive_events(pool, session_id))[0][1]["reason"] == "trashed"


@pytest.mark.kafka
async def test_the_operator_archives_a_session_once_per_form(
    http: httpx.AsyncClient, pool: asyncpg.Pool, settings: Settings, operator: httpx.AsyncClient
) -> None:
    session_id, novel_id = await finished_book(http, pool, settings)
    form = {"action_id": action(), "session_id": str(session_id)}
    first = await operator.post("/console/ops/archive", data=form)
    assert first.status_code == 303 and form["action_id"] in first.headers["location"]
    again = await operator.post("/console/ops/archive", data=form)  # a double submit
    assert again.status_code == 303
    shown = await operator.get(first.headers["location"])
    assert f'data-done="{form["action_id"]}"' in shown.text and "session.archive" in shown.text
    assert set(await partitions(pool, session_id, novel_id)) == ARCHIVED
    assert len(await archive_events(pool, session_id)) == 1
    bad = await operator.post(
        "/console/ops/archive", data={"action_id": action(), "session_id": "x"}
    )
    assert bad.status_code == 422
