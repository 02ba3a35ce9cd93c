"""`scribe projections rebuild --check` on rolled-back and branched sessions (issue 37): their
rows are what their events alone fold to, a corrupted branch row is found and rebuilt (its
origin too)."""

from typing import Any
from uuid import UUID

import asyncpg
import httpx

from infinite_scribe.settings.settings import Settings
from tests.support.genesis_client import new_session
from tests.support.history import ask, branch, history, ok, rollback, versions, walk


async def test_rolled_back_and_branched_sessions_rebuild_exactly(
    http: httpx.AsyncClient, pool: asyncpg.Pool, settings: Settings, scribe: Any
) -> None:
    finished = await new_session(http, initial_user_input={"idea": "moths"})
    await walk(http, pool, settings, finished, 5)
    body = await history(http, finished)
    ok(await rollback(http, finished, versions(body, "WORLDVIEW")[0]["event_id"]))
    ok(await rollback(http, finished, versions(body, "PLOT_OUTLINE")[-1]["event_id"]))  # again
    child = UUID(
        ok(await branch(http, finished, versions(body, "STORY_CONCEPTION")[0]["event_id"]), 201)[
            "session_id"
        ]
    )
    await ask(http, pool, settings, child, "STORY_CONCEPTION")
    story = versions(await history(http, child), "STORY_CONCEPTION")[-1]
    grandchild = UUID(
        ok(await branch(http, child, story["event_id"], title="G"), 201)["session_id"]
    )
    ok(await rollback(http, grandchild, versions(body, "CONCEPT_SELECTION")[0]["event_id"]))

    for session_id in (finished, child, grandchild):
        checked = await scribe("projections", "rebuild", "--session", str(session_id), "--check")
        assert checked.exit_code == 0, checked.output

    await pool.execute(
        "UPDATE genesis_sessions SET branched_from = NULL, current_stage = 'PLOT_OUTLINE' "
        "WHERE id = $1",
        grandchild,
    )
    found = await scribe("projections", "rebuild", "--session", str(grandchild), "--check")
    assert found.exit_code == 1 and "branched_from" in found.output
    fixed = await scribe("projections", "rebuild", "--session", str(grandchild))
    assert fixed.exit_code == 0, fixed.output
    row = await pool.fetchrow("SELECT * FROM genesis_sessions WHERE id = $1", grandchild)
    assert row["branched_from"] == {"session_id": str(child), "event_id": story["event_id"]} | {
        "title": "G"
    }
    assert row["current_stage"] == "CONCEPT_SELECTION"
