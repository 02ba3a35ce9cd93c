"""RollbackToVersion over real HTTP and PostgreSQL (issue 37): the state goes back, a new
event records it, nothing is deleted; past FINISHED the novel stays and is updated on the next
finish; 404 / 422 INVALID_VERSION / 409 GENERATION_PENDING; replay with an idempotency key."""

import uuid
from uuid import UUID

import asyncpg
import httpx

from infinite_scribe.settings.settings import Settings
from tests.conftest import LiveServer
from tests.support.genesis_client import command, new_session, state
from tests.support.history import (
    ask,
    confirm,
    event_count,
    history,
    ok,
    rollback,
    versions,
    walk,
)
from tests.support.trash import stranger


async def test_rollback_restores_the_state_right_after_the_version(
    http: httpx.AsyncClient, pool: asyncpg.Pool, settings: Settings
) -> None:
    session_id = await new_session(http, initial_user_input={"idea": "tides"})
    first = await ask(http, pool, settings, session_id, "CONCEPT_SELECTION")
    await confirm(http, session_id, "CONCEPT_SELECTION")
    await walk_story(http, pool, settings, session_id)
    before = await event_count(pool, session_id)
    target = versions(await history(http, session_id), "CONCEPT_SELECTION")[0]

    reply = ok(await rollback(http, session_id, target["event_id"]))
    assert reply["status"] == "COMPLETED"
    now = await state(http, session_id)
    assert now["current_stage"] == "CONCEPT_SELECTION" and now["status"] == "IN_PROGRESS"
    assert now["confirmed_data"] == {} and now["is_pending"] is False
    assert now["last_result"]["concepts"] == first["concepts"]
    assert await event_count(pool, session_id) == before + 1  # recorded, nothing deleted
    body = await history(http, session_id)
    rolled = versions(body, "CONCEPT_SELECTION")[-1]
    assert rolled["kind"] == "rolled_back" and rolled["target_event_id"] == target["event_id"]
    assert rolled["content"] == first and rolled["event_type"] == "Genesis.Session.RolledBack"
    assert len(versions(body, "STORY_CONCEPTION")) == 2  # the undone versions stay readable
    # The session goes on from there: the restored proposal can be confirmed again.
    await confirm(http, session_id, "CONCEPT_SELECTION", choice=1)
    assert (await state(http, session_id))["confirmed_data"]["CONCEPT_SELECTION"] == (
        first["concepts"][1]
    )


async def walk_story(
    http: httpx.AsyncClient, pool: asyncpg.Pool, settings: Settings, session_id: UUID
) -> None:
    await ask(http, pool, settings, session_id, "STORY_CONCEPTION")
    await confirm(http, session_id, "STORY_CONCEPTION")


async def test_rollback_past_finished_reopens_and_the_next_finish_updates_the_novel(
    http: httpx.AsyncClient, pool: asyncpg.Pool, settings: Settings
) -> None:
    session_id = await new_session(http, initial_user_input={"idea": "a clockwork city"})
    await walk(http, pool, settings, session_id, 5)
    finished = await state(http, session_id)
    novel_id = finished["novel_id"]
    assert finished["status"] == "COMPLETED" and novel_id
    old_novel = ok(await http.get(f"/api/v1/novels/{novel_id}"))
    characters = versions(await history(http, session_id), "CHARACTERS")[0]

    ok(await rollback(http, session_id, characters["event_id"]))
    reopened = await state(http, session_id)
    assert reopened["status"] == "IN_PROGRESS" and reopened["current_stage"] == "CHARACTERS"
    assert reopened["novel_id"] == novel_id
    assert "PLOT_OUTLINE" not in reopened["confirmed_data"]
    assert ok(await http.get(f"/api/v1/novels/{novel_id}")) == old_novel  # still readable

    renamed = [dict(c) for c in characters["content"]["characters"]]
    renamed[0]["name"] = "Ada Renamed"
    await confirm(http, session_id, "CHARACTERS", data={"characters": renamed})
    await ask(http, pool, settings, session_id, "PLOT_OUTLINE")
    await confirm(http, session_id, "PLOT_OUTLINE")
    again = await state(http, session_id)
    assert again["status"] == "COMPLETED" and again["novel_id"] == novel_id  # the same novel
    novel = ok(await http.get(f"/api/v1/novels/{novel_id}"))
    assert novel["characters"]["characters"][0]["name"] == "Ada Renamed"
    assert await pool.fetchval("SELECT version FROM novels WHERE id = $1", UUID(novel_id)) == 2
    finishes = versions(await history(http, session_id), "FINISHED")
    assert len(finishes) == 2  # the novel's earlier content is kept in its history
    assert finishes[0]["content"]["characters"] == old_novel["characters"]
    assert any(
        c["path"] == "characters.characters[0].name" and c["after"] == "Ada Renamed"
        for c in finishes[1]["changes"]
    )


async def test_not_a_version_is_422_and_another_writers_session_404(
    http: httpx.AsyncClient,
    pool: asyncpg.Pool,
    settings: Settings,
    live_server: LiveServer,
) -> None:
    session_id = await new_session(http)
    await ask(http, pool, settings, session_id, "CONCEPT_SELECTION")
    other_session = await new_session(http)
    await ask(http, pool, settings, other_session, "CONCEPT_SELECTION")
    foreign_version = versions(await history(http, other_session), "CONCEPT_SELECTION")[0]
    request_event = await pool.fetchval(
        "SELECT event_id FROM domain_events WHERE aggregate_id = $1 AND event_type = $2",
        str(session_id),
        "Genesis.Session.ConceptGenerationRequested",
    )
    before = await event_count(pool, session_id)
    for event_id in (str(uuid.uuid4()), str(request_event), foreign_version["event_id"]):
        refused = await rollback(http, session_id, event_id)
        assert refused.status_code == 422, refused.text
        assert refused.json()["error_code"] == "INVALID_VERSION"
    bad = await command(http, session_id, "RollbackToVersion", {"event_id": "nope"})
    assert bad.status_code == 422 and bad.json()["error_code"] == "VALIDATION_ERROR"
    assert await event_count(pool, session_id) == before
    mine = versions(await history(http, session_id), "CONCEPT_SELECTION")[0]
    async with stranger(live_server.url, settings) as other:
        assert (await rollback(other, session_id, mine["event_id"])).status_code == 404
    assert await event_count(pool, session_id) == before


async def test_a_rollback_while_a_generation_is_pending_is_a_409(
    http: httpx.AsyncClient, pool: asyncpg.Pool, settings: Settings
) -> None:
    session_id = await new_session(http)
    await ask(http, pool, settings, session_id, "CONCEPT_SELECTION")
    target = versions(await history(http, session_id), "CONCEPT_SELECTION")[0]
    ok(await command(http, session_id, "SubmitFeedback", {"feedback": "again"}), 202)
    refused = await rollback(http, session_id, target["event_id"])
    assert refused.status_code == 409 and refused.json()["error_code"] == "GENERATION_PENDING"


async def test_a_keyed_rollback_is_replayed_not_repeated(
    http: httpx.AsyncClient, pool: asyncpg.Pool, settings: Settings
) -> None:
    session_id = await new_session(http)
    await ask(http, pool, settings, session_id, "CONCEPT_SELECTION")
    await confirm(http, session_id, "CONCEPT_SELECTION")
    target = versions(await history(http, session_id), "CONCEPT_SELECTION")[0]
    key = {"Idempotency-Key": f"rollback-{uuid.uuid4()}"}
    first = await rollback(http, session_id, target["event_id"], **key)
    second = await rollback(http, session_id, target["event_id"], **key)
    assert first.status_code == second.status_code == 200
    assert second.json() == first.json()
    assert second.headers["idempotent-replayed"] == "true"
    rolled = await pool.fetchval(
        "SELECT count(*) FROM domain_events WHERE aggregate_id = $1 AND event_type = $2",
        str(session_id),
        "Genesis.Session.RolledBack",
    )
    assert rolled == 1
