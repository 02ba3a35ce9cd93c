"""`scribe projections rebuild` against real PostgreSQL: a corrupted row is found by --check
(exit 1), fixed by a rebuild, and --check passes again; rebuilding every row from the events
alone gives back the live projection of sessions with proposals, feedback, confirmations,
trash/restore, a finished novel and a purge."""

from typing import Any
from uuid import UUID

import asyncpg
import httpx
import pytest

from infinite_scribe.persistence.genesis.projections import PROJECTED_COLUMNS
from infinite_scribe.settings.settings import Settings
from tests.support.genesis_client import command, new_session
from tests.support.trash import confirm_all, ok, propose, purge, restore, trash


async def rich_session(http: httpx.AsyncClient, pool: asyncpg.Pool, settings: Settings) -> UUID:
    session_id = await new_session(http, initial_user_input={"idea": "tides"})
    asked = ok(
        await command(http, session_id, "RequestConceptGeneration", {"user_input": "x"}), 202
    )
    await propose(pool, settings, session_id, asked, "CONCEPT_SELECTION")
    feedback = ok(await command(http, session_id, "SubmitFeedback", {"feedback": "darker"}), 202)
    await propose(pool, settings, session_id, feedback, "CONCEPT_SELECTION")
    ok(
        await command(
            http, session_id, "ConfirmStage", {"stage": "CONCEPT_SELECTION", "data": {"t": 1}}
        )
    )
    asked = ok(await command(http, session_id, "RequestStageGeneration", {}), 202)
    await propose(pool, settings, session_id, asked, "STORY_CONCEPTION")
    ok(await command(http, session_id, "RequestStageGeneration", {}), 202)  # left pending
    ok(await trash(http, session_id))
    ok(await restore(http, session_id))
    ok(await trash(http, session_id))
    return session_id


async def projection(pool: asyncpg.Pool) -> dict[UUID, dict[str, Any]]:
    rows = await pool.fetch(f"SELECT id, {', '.join(PROJECTED_COLUMNS)} FROM genesis_sessions")
    return {row["id"]: dict(row) for row in rows}


async def test_rebuild_from_events_alone_equals_the_live_projection(
    clean_db: asyncpg.Pool, http: httpx.AsyncClient, settings: Settings, scribe: Any
) -> None:
    pool = clean_db
    rich = await rich_session(http, pool, settings)
    finished = await new_session(http)
    await confirm_all(http, finished)
    gone = await new_session(http)
    ok(await trash(http, gone))
    ok(await purge(http, gone))
    live = await projection(pool)
    assert set(live) == {rich, finished} and live[rich]["trashed_at"] is not None
    assert live[rich]["pending_command_type"] == "RequestStageGeneration"

    checked = await scribe("projections", "rebuild", "--all", "--check")
    assert checked.exit_code == 0, checked.output
    assert "checked 3 session(s); 0 differ" in checked.output

    await pool.execute("DELETE FROM genesis_sessions")  # lose the whole projection
    assert (await scribe("projections", "rebuild", "--all", "--check")).exit_code == 1
    rebuilt = await scribe("projections", "rebuild", "--all")
    assert rebuilt.exit_code == 0, rebuilt.output
    assert "2 rewritten" in rebuilt.output
    assert await projection(pool) == live


async def test_check_finds_a_corrupted_row_and_rebuild_fixes_it(
    http: httpx.AsyncClient, pool: asyncpg.Pool, settings: Settings, scribe: Any
) -> None:
    session_id = await rich_session(http, pool, settings)
    other = await new_session(http)
    good = await projection(pool)
    await pool.execute(
        "UPDATE genesis_sessions SET current_stage = 'WORLDVIEW', version = 99, "
        "trashed_at = NULL, last_result = '{\"forged\": true}' WHERE id = $1",
        session_id,
    )
    checked = await scribe("projections", "rebuild", "--session", str(session_id), "--check")
    assert checked.exit_code == 1, checked.output
    for column in ("current_stage", "version", "trashed_at", "last_result"):
        assert f"session {session_id}: {column}: stored=" in checked.output
    assert "confirmed_data" not in checked.output  # only what differs is named
    ok_other = await scribe("projections", "rebuild", "--session", str(other), "--check")
    assert ok_other.exit_code == 0, ok_other.output

    fixed = await scribe("projections", "rebuild", "--session", str(session_id))
    assert fixed.exit_code == 0 and "1 rewritten" in fixed.output, fixed.output
    again = await scribe("projections", "rebuild", "--session", str(session_id), "--check")
    assert again.exit_code == 0, again.output
    assert (await projection(pool))[session_id] == good[session_id]


async def test_a_resurrected_row_of_a_purged_session_is_reported_and_removed(
    http: httpx.AsyncClient, pool: asyncpg.Pool, scribe: Any, user_id: UUID
) -> None:
    session_id = await new_session(http)
    ok(await trash(http, session_id))
    ok(await purge(http, session_id))
    await pool.execute(
        "INSERT INTO genesis_sessions (id, user_id, version) VALUES ($1, $2, 1)",
        session_id,
        user_id,
    )
    checked = await scribe("projections", "rebuild", "--session", str(session_id), "--check")
    assert checked.exit_code == 1
    assert "row: stored='present' expected='absent'" in checked.output
    assert (await scribe("projections", "rebuild", "--session", str(session_id))).exit_code == 0
    assert (
        await pool.fetchval("SELECT count(*) FROM genesis_sessions WHERE id = $1", session_id) == 0
    )


@pytest.mark.parametrize(
    "args",
    [
        ["projections", "rebuild"],
        ["projections", "rebuild", "--all", "--session", "00000000-0000-4000-8000-000000000001"],
        ["projections", "rebuild", "--session", "nope"],
    ],
)
async def test_rebuild_needs_exactly_one_selection(scribe: Any, args: list[str]) -> None:
    assert (await scribe(*args)).exit_code == 2
