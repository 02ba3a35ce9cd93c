"""POST .../branches over real HTTP and PostgreSQL (issue 37): a new session of the same
writer from a version of another, a branch of a branch, the origin in the list and the state;
trash works on branches; 404 / 422; replay with an idempotency key."""

import uuid
from uuid import UUID

import asyncpg
import httpx

from infinite_scribe.settings.settings import Settings
from tests.conftest import LiveServer
from tests.support.genesis_client import new_session, state
from tests.support.history import (
    ask,
    branch,
    confirm,
    event_count,
    history,
    ok,
    rollback,
    versions,
    walk,
)
from tests.support.trash import purge, restore, stranger, trash

_SAME = ("current_stage", "confirmed_data", "last_result")


async def test_a_branch_starts_from_the_version_and_leaves_the_source_alone(
    http: httpx.AsyncClient, pool: asyncpg.Pool, settings: Settings
) -> None:
    source = await new_session(http, initial_user_input={"idea": "orchards"})
    await walk(http, pool, settings, source, 2)
    story = versions(await history(http, source), "STORY_CONCEPTION")[0]  # its proposal
    await ask(http, pool, settings, source, "WORLDVIEW")
    before = await state(http, source)
    count = await event_count(pool, source)

    created = ok(await branch(http, source, story["event_id"], title="Orchards, take two"), 201)
    branch_id = UUID(created["session_id"])
    origin = {"session_id": str(source), "event_id": story["event_id"]}
    assert created["branched_from"] == origin | {"title": "Orchards, take two"}
    assert await state(http, source) == before and await event_count(pool, source) == count
    now = await state(http, branch_id)
    assert now["current_stage"] == "STORY_CONCEPTION" and now["status"] == "IN_PROGRESS"
    assert now["last_result"]["premise"] == story["content"]["premise"]
    assert set(now["confirmed_data"]) == {"CONCEPT_SELECTION"}
    assert now["branched_from"]["event_id"] == story["event_id"]
    first = await pool.fetchrow(
        "SELECT event_type, causation_id, aggregate_version FROM domain_events "
        "WHERE aggregate_id = $1 ORDER BY aggregate_version LIMIT 1",
        str(branch_id),
    )
    assert first["event_type"] == "Genesis.Session.Branched" and first["aggregate_version"] == 1
    assert str(first["causation_id"]) == story["event_id"]

    body = await history(http, branch_id)
    inherited = versions(body, "CONCEPT_SELECTION")
    assert [v["session_id"] for v in inherited] == [str(source)] * 2
    own = versions(body, "STORY_CONCEPTION")
    assert [v["kind"] for v in own] == ["proposed", "branched"]
    assert own[1]["session_id"] == str(branch_id) and own[1]["content"] == story["content"]
    assert versions(body, "WORLDVIEW") == []  # after the branch point: not the branch's

    listed = ok(await http.get("/api/v1/genesis/sessions"))["sessions"]
    item = next(s for s in listed if s["session_id"] == str(branch_id))
    assert item["branched_from"]["event_id"] == story["event_id"]
    assert item["title"]  # the confirmed concept's title
    plain = next(s for s in listed if s["session_id"] == str(source))
    assert plain["branched_from"] is None

    # The branch goes on by itself, its proposals built from what it carries: the source's
    # confirmed concept and the idea given at the source's creation (on the Branched event) ...
    await confirm(http, branch_id, "STORY_CONCEPTION")
    await ask(http, pool, settings, branch_id, "WORLDVIEW")
    after = await history(http, branch_id)
    inputs = versions(after, "WORLDVIEW")[0]["provenance"]["inputs"]
    story_confirmed = versions(after, "STORY_CONCEPTION")[-1]
    assert inputs[:2] == [inherited[1]["event_id"], story_confirmed["event_id"]]
    assert own[1]["event_id"] in inputs
    # ... and the trash works on it.
    ok(await trash(http, branch_id))
    ok(await restore(http, branch_id))


async def test_a_branch_of_a_branch_and_a_branch_of_a_finished_session(
    http: httpx.AsyncClient, pool: asyncpg.Pool, settings: Settings
) -> None:
    source = await new_session(http, initial_user_input={"idea": "salt"})
    await walk(http, pool, settings, source, 5)
    concept = versions(await history(http, source), "CONCEPT_SELECTION")[-1]  # confirmed
    child = UUID(ok(await branch(http, source, concept["event_id"]), 201)["session_id"])
    await walk_from(http, pool, settings, child, "STORY_CONCEPTION")
    story = versions(await history(http, child), "STORY_CONCEPTION")[-1]
    grandchild = UUID(ok(await branch(http, child, story["event_id"]), 201)["session_id"])
    now = await state(http, grandchild)
    assert now["current_stage"] == "WORLDVIEW"
    assert set(now["confirmed_data"]) == {"CONCEPT_SELECTION", "STORY_CONCEPTION"}
    body = await history(http, grandchild)
    sessions = {v["session_id"] for s in body["stages"] for v in s["versions"]}
    assert sessions == {str(source), str(child), str(grandchild)}
    # A version inherited from the grandparent is a version of the grandchild too.
    inherited = versions(body, "CONCEPT_SELECTION")[0]
    assert inherited["session_id"] == str(source)
    assert (await branch(http, grandchild, inherited["event_id"])).status_code == 201

    # Branching at the final confirmation gives a finished session with a novel of its own.
    final = versions(await history(http, source), "PLOT_OUTLINE")[-1]
    done = ok(await branch(http, source, final["event_id"]), 201)
    finished = await state(http, UUID(done["session_id"]))
    assert finished["status"] == "COMPLETED" and finished["current_stage"] == "FINISHED"
    assert finished["novel_id"] and finished["novel_id"] != (await state(http, source))["novel_id"]
    ok(await http.get(f"/api/v1/novels/{finished['novel_id']}"))


async def walk_from(
    http: httpx.AsyncClient, pool: asyncpg.Pool, settings: Settings, session_id: UUID, stage: str
) -> None:
    await ask(http, pool, settings, session_id, stage)
    await confirm(http, session_id, stage)


async def test_branch_refusals_and_replay(
    http: httpx.AsyncClient, pool: asyncpg.Pool, settings: Settings, live_server: LiveServer
) -> None:
    source = await new_session(http)
    await ask(http, pool, settings, source, "CONCEPT_SELECTION")
    version = versions(await history(http, source), "CONCEPT_SELECTION")[0]
    refused = await branch(http, source, str(uuid.uuid4()))
    assert refused.status_code == 422 and refused.json()["error_code"] == "INVALID_VERSION"
    assert (await branch(http, source, "nope")).status_code == 422
    assert (await branch(http, source, version["event_id"], colour="red")).status_code == 422
    async with stranger(live_server.url, settings) as other:
        assert (await branch(other, source, version["event_id"])).status_code == 404
    key = {"Idempotency-Key": f"branch-{uuid.uuid4()}"}
    first = await branch(http, source, version["event_id"], headers=key)
    second = await branch(http, source, version["event_id"], headers=key)
    assert first.status_code == second.status_code == 201
    assert second.json() == first.json() and second.headers["idempotent-replayed"] == "true"
    branches = await pool.fetchval(
        "SELECT count(*) FROM genesis_sessions WHERE branched_from->>'session_id' = $1",
        str(source),
    )
    assert branches == 1


async def test_a_branch_outlives_its_purged_origin(
    http: httpx.AsyncClient, pool: asyncpg.Pool, settings: Settings
) -> None:
    source = await new_session(http, initial_user_input={"idea": "ash"})
    await walk(http, pool, settings, source, 1)
    confirmed = versions(await history(http, source), "CONCEPT_SELECTION")[-1]
    branch_id = UUID(ok(await branch(http, source, confirmed["event_id"]), 201)["session_id"])
    ok(await trash(http, source))
    ok(await purge(http, source))
    body = await history(http, branch_id)  # the origin's versions are gone, the branch's stay
    kinds = [v["kind"] for s in body["stages"] for v in s["versions"]]
    assert kinds == ["branched"]
    own = versions(body, "CONCEPT_SELECTION")[0]
    ok(await rollback(http, branch_id, own["event_id"]))
    assert (await state(http, branch_id))["current_stage"] == "STORY_CONCEPTION"
    refused = await rollback(http, branch_id, confirmed["event_id"])
    assert refused.status_code == 422 and refused.json()["error_code"] == "INVALID_VERSION"
