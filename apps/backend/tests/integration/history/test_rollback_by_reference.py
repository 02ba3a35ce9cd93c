"""Rollback and branch by reference (issue 54, decision 5403): a restore's event names its
version and the events its stages came from; the restored state is written beside it
(`session_restores`). So a version whose state is larger than one event may be is restored (it
was a 413 `EVENT_TOO_LARGE`), every reader resolves the restore (the row, the rebuild, a
rollback to the rollback, the history), and a branch keeps its state when its origin is
purged."""

import json
from typing import Any
from uuid import UUID

import asyncpg
import httpx

from infinite_scribe.settings.settings import Settings
from tests.support.genesis_client import new_session, state
from tests.support.history import ask, branch, confirm, history, ok, rollback, versions
from tests.support.trash import purge, trash

STAGES = ("CONCEPT_SELECTION", "STORY_CONCEPTION", "WORLDVIEW", "CHARACTERS", "PLOT_OUTLINE")
#: Under the stage limit (256 KiB), four of them over the event limit (900,000 bytes).
LARGE = 80_000  # three bytes each


async def _large_book(
    http: httpx.AsyncClient, pool: asyncpg.Pool, settings: Settings
) -> tuple[UUID, dict[str, Any]]:
    """A finished session whose stages together outweigh an event, and its state."""
    session_id = await new_session(http, initial_user_input={"idea": "a salt road"})
    for number, stage in enumerate(STAGES):
        await ask(http, pool, settings, session_id, stage)
        await confirm(http, session_id, stage, data={"notes": chr(0x4E00 + number) * LARGE})
    finished = await state(http, session_id)
    assert finished["status"] == "COMPLETED"
    assert len(json.dumps(finished["confirmed_data"], ensure_ascii=False).encode()) > 1_000_000
    return session_id, finished


async def _restore_events(pool: asyncpg.Pool, session_id: UUID) -> list[asyncpg.Record]:
    return await pool.fetch(
        "SELECT event_id, payload, octet_length(payload::text) AS size FROM domain_events "
        "WHERE aggregate_id = $1 AND event_type IN "
        "('Genesis.Session.RolledBack', 'Genesis.Session.Branched') ORDER BY aggregate_version",
        str(session_id),
    )


def _of_kind(body: dict[str, Any], stage: str, kind: str) -> list[dict[str, Any]]:
    return [v for v in versions(body, stage) if v["kind"] == kind]


async def _rebuilds_exactly(scribe: Any, session_id: UUID) -> None:
    checked = await scribe("projections", "rebuild", "--session", str(session_id), "--check")
    assert checked.exit_code == 0, checked.output


async def test_a_version_larger_than_an_event_is_restored_and_every_reader_resolves_it(
    http: httpx.AsyncClient, pool: asyncpg.Pool, settings: Settings, scribe: Any
) -> None:
    session_id, finished = await _large_book(http, pool, settings)
    body = await history(http, session_id)
    ok(await rollback(http, session_id, versions(body, "WORLDVIEW")[-1]["event_id"]))
    ok(await rollback(http, session_id, versions(body, "FINISHED")[-1]["event_id"]))
    back = await state(http, session_id)
    assert back["status"] == "COMPLETED"
    assert back["confirmed_data"] == finished["confirmed_data"]
    for restore in await _restore_events(pool, session_id):
        assert restore["size"] < 2_000, "the event names its version, it does not copy it"
        assert "confirmed_data" not in restore["payload"]
    await _rebuilds_exactly(scribe, session_id)

    [restored] = _of_kind(await history(http, session_id), "FINISHED", "rolled_back")
    assert restored["content"]["story"] == finished["confirmed_data"]["STORY_CONCEPTION"]
    [earlier] = _of_kind(await history(http, session_id), "WORLDVIEW", "rolled_back")
    ok(await rollback(http, session_id, earlier["event_id"]))  # back to a rollback's version
    again = await state(http, session_id)
    assert again["current_stage"] == "CHARACTERS" and again["status"] == "IN_PROGRESS"
    assert again["confirmed_data"] == {s: finished["confirmed_data"][s] for s in STAGES[:3]}
    await _rebuilds_exactly(scribe, session_id)


async def test_a_branch_keeps_its_state_when_its_origin_is_purged(
    http: httpx.AsyncClient, pool: asyncpg.Pool, settings: Settings, scribe: Any
) -> None:
    origin, finished = await _large_book(http, pool, settings)
    at = versions(await history(http, origin), "FINISHED")[-1]["event_id"]
    child = UUID(ok(await branch(http, origin, at), 201)["session_id"])
    started = await state(http, child)
    assert started["confirmed_data"] == finished["confirmed_data"]
    [branched] = await _restore_events(pool, child)
    assert branched["size"] < 2_000

    ok(await trash(http, origin))
    ok(await purge(http, origin))
    gone = await pool.fetchval(
        "SELECT count(*) FROM session_restores WHERE session_id = $1", origin
    )
    assert gone == 0
    await _rebuilds_exactly(scribe, child)
    [listed] = _of_kind(await history(http, child), "FINISHED", "branched")
    assert listed["content"]["story"] == finished["confirmed_data"]["STORY_CONCEPTION"]
    ok(await rollback(http, child, listed["event_id"]))
    assert (await state(http, child))["confirmed_data"] == finished["confirmed_data"]
