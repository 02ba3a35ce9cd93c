"""Trash, restore and purge over real HTTP against real PostgreSQL: replies, idempotency,
commands refused in the trash, the lists, and what a purge removes and erases."""

import uuid
from uuid import UUID

import asyncpg
import httpx
import pytest

from infinite_scribe.settings.settings import Settings
from tests.conftest import LiveServer
from tests.support.genesis_client import BASE, command, new_session, state
from tests.support.trash import confirm_all, ok, propose, purge, restore, stranger, trash


async def test_trash_keeps_the_session_readable_refuses_commands_and_restore_gives_it_back(
    http: httpx.AsyncClient, pool: asyncpg.Pool
) -> None:
    session_id = await new_session(http)
    ok(await command(http, session_id, "RequestConceptGeneration", {"user_input": "a"}), 202)
    before = await state(http, session_id)
    assert before["is_pending"] and not before["trashed"]

    first = ok(await trash(http, session_id))
    assert first["changed"] and first["trashed"] and first["version"] == before["version"] + 1
    again = ok(await trash(http, session_id))  # trashing twice changes nothing
    assert not again["changed"] and again["trashed_at"] == first["trashed_at"]
    assert again["version"] == first["version"] and again["event_id"] is None

    inside = await state(http, session_id)  # readable by its owner, and says it is trashed
    assert inside["trashed"] and inside["trashed_at"] == first["trashed_at"]
    assert inside | {"version": 0, "trashed": False, "trashed_at": None} == before | {"version": 0}
    inbox = await pool.fetchval(
        "SELECT count(*) FROM command_inbox WHERE session_id = $1", session_id
    )
    refused = await command(http, session_id, "AbandonSession", {})
    assert refused.status_code == 409
    assert refused.json()["error_code"] == "SESSION_TRASHED"
    assert (
        await pool.fetchval("SELECT count(*) FROM command_inbox WHERE session_id = $1", session_id)
        == inbox
    )  # the refused command left no inbox row
    events = await http.get(f"{BASE}/{session_id}/events")
    assert events.status_code == 200

    back = ok(await restore(http, session_id))
    assert back["changed"] and not back["trashed"] and back["trashed_at"] is None
    assert not ok(await restore(http, session_id))["changed"]  # restoring twice: nothing
    after = await state(http, session_id)
    assert after == before | {"version": before["version"] + 2}  # exactly as it was
    duplicate = await command(http, session_id, "RequestConceptGeneration", {})
    assert duplicate.json()["error_code"] == "DUPLICATE_COMMAND"  # still pending
    types = await pool.fetch(
        "SELECT e.event_type, o.status::text AS status FROM domain_events e "
        "JOIN event_outbox o USING (event_id) WHERE e.aggregate_id = $1 "
        "ORDER BY e.aggregate_version",
        str(session_id),
    )
    assert [row["event_type"] for row in types][-2:] == [
        "Genesis.Session.Trashed",
        "Genesis.Session.Restored",
    ]


async def test_lists_hide_trashed_sessions_and_the_trash_is_newest_first_and_paginated(
    http: httpx.AsyncClient,
) -> None:
    sessions = [await new_session(http) for _ in range(5)]
    for session_id in sessions[:3]:
        ok(await trash(http, session_id))
    live = ok(await http.get("/api/v1/genesis/sessions", params={"limit": 100}))
    live_ids = {item["session_id"] for item in live["sessions"]}
    assert {str(s) for s in sessions[3:]} <= live_ids
    assert not {str(s) for s in sessions[:3]} & live_ids
    first = ok(await http.get("/api/v1/trash", params={"limit": 2}))
    second = ok(
        await http.get("/api/v1/trash", params={"limit": 2, "cursor": first["next_cursor"]})
    )
    listed = [item["session_id"] for item in first["items"] + second["items"]]
    assert listed == [str(s) for s in reversed(sessions[:3])]  # most recently trashed first
    assert second["next_cursor"] is None
    assert all(item["trashed_at"] for item in first["items"])
    for bad in ({"limit": 0}, {"limit": 101}, {"cursor": "x" * 513}):
        response = await http.get("/api/v1/trash", params=bad)
        assert response.status_code == 422 and response.json()["error_code"] == "VALIDATION_ERROR"
    forged = await http.get("/api/v1/trash", params={"cursor": "x"})
    assert forged.status_code == 422 and forged.json()["error_code"] == "INVALID_CURSOR"


async def test_purge_only_from_the_trash_removes_everything_and_is_idempotent(
    http: httpx.AsyncClient, pool: asyncpg.Pool
) -> None:
    session_id = await new_session(http, initial_user_input={"idea": "secret plot"})
    other = await new_session(http)  # a neighbour that must not be touched
    reply = ok(
        await command(http, session_id, "RequestConceptGeneration", {"user_input": "x"}), 202
    )
    flow = reply["correlation_id"]
    await pool.execute(
        "INSERT INTO flow_resume_handles (correlation_id, resume_handle, status) "
        "VALUES ($1, '{}'::jsonb, 'PAUSED')",
        flow,
    )
    ok(await command(http, session_id, "AbandonSession", {"reason": "private words"}))
    for owner in (session_id, other):  # a restore's state and an outline's part of each
        await pool.execute(
            "INSERT INTO session_restores (session_id, seq, confirmed_data) VALUES ($1, 9, '{}')",
            owner,
        )
        await pool.execute(
            "INSERT INTO outline_parts (session_id, plan, part, content) VALUES ($1, 'p', 0, '{}')",
            owner,
        )

    refused = await purge(http, session_id)
    assert refused.status_code == 409 and refused.json()["error_code"] == "SESSION_NOT_TRASHED"
    ok(await trash(http, session_id))
    purged = ok(await purge(http, session_id))
    assert purged["changed"] and purged["events_erased"] == 4  # Created..Trashed, not Purged
    again = ok(await purge(http, session_id))
    assert again["purged"] and not again["changed"]

    for table, column in (
        ("genesis_sessions", "id"),
        ("command_inbox", "session_id"),
        ("async_tasks", "session_id"),
        ("session_restores", "session_id"),
        ("outline_parts", "session_id"),
    ):
        count = await pool.fetchval(f"SELECT count(*) FROM {table} WHERE {column} = $1", session_id)
        assert count == 0, table
    for table in ("session_restores", "outline_parts"):  # the neighbour's stay
        count = await pool.fetchval(f"SELECT count(*) FROM {table} WHERE session_id = $1", other)
        assert count == 1, table
    assert (
        await pool.fetchval(
            "SELECT count(*) FROM flow_resume_handles WHERE correlation_id = $1", flow
        )
        == 0
    )
    events = await pool.fetch(
        "SELECT event_type, payload, metadata FROM domain_events WHERE aggregate_id = $1 "
        "ORDER BY aggregate_version",
        str(session_id),
    )
    assert [e["payload"] for e in events[:-1]] == [{}] * 4  # erased, still in the log
    tombstone = events[-1]
    assert tombstone["event_type"] == "Genesis.Session.Purged"
    assert tombstone["payload"]["reason"] == "user"
    assert tombstone["payload"]["erased_through_version"] == 4
    text = str(await pool.fetch("SELECT payload FROM event_outbox WHERE key = $1", str(session_id)))
    assert "secret plot" not in text and "private words" not in text
    for response in (
        await http.get(f"{BASE}/{session_id}/state"),
        await restore(http, session_id),
        await trash(http, session_id),
        await command(http, session_id, "AbandonSession", {}),
    ):
        assert response.status_code == 404, response.text
    assert (await state(http, other))["version"] == 1


async def test_purge_deletes_the_novel_of_a_finished_session(
    http: httpx.AsyncClient, pool: asyncpg.Pool
) -> None:
    session_id = await new_session(http)
    await confirm_all(http, session_id)
    novel_id = UUID((await state(http, session_id))["novel_id"])
    assert await pool.fetchval("SELECT count(*) FROM novels WHERE id = $1", novel_id) == 1
    ok(await trash(http, session_id))
    ok(await purge(http, session_id))
    assert await pool.fetchval("SELECT count(*) FROM novels WHERE id = $1", novel_id) == 0


async def test_strangers_and_bad_ids_get_clear_4xx(
    http: httpx.AsyncClient, live_server: LiveServer, settings: Settings
) -> None:
    session_id = await new_session(http)
    async with stranger(live_server.url, settings) as foreign:
        for response in (
            await trash(foreign, session_id),
            await restore(foreign, session_id),
            await purge(foreign, session_id),
        ):
            assert response.status_code == 404 and response.json()["error_code"] == "NOT_FOUND"
        ok(await trash(http, session_id))
        assert (await purge(foreign, session_id)).status_code == 404
        assert ok(await foreign.get("/api/v1/trash"))["items"] == []
        ok(await purge(http, session_id))
        assert (await purge(foreign, session_id)).status_code == 404  # not theirs to replay
    for bad in ("not-a-uuid", "1", "%00", "x" * 300):
        for response in (
            await http.post(f"{BASE}/{bad}/trash"),
            await http.post(f"{BASE}/{bad}/restore"),
            await http.delete(f"{BASE}/{bad}"),
        ):
            assert response.status_code in (404, 422), response.text
            assert response.json()["error_code"] in ("VALIDATION_ERROR", "NOT_FOUND")
    missing = uuid.uuid4()
    assert (await trash(http, missing)).status_code == 404
    assert (await purge(http, missing)).status_code == 404
    anonymous = await httpx.AsyncClient(base_url=live_server.url).post(f"{BASE}/{missing}/trash")
    assert anonymous.status_code == 401


async def test_trash_routes_honour_the_idempotency_key(http: httpx.AsyncClient) -> None:
    session_id = await new_session(http)
    key = f"trash-{uuid.uuid4()}"
    first = await trash(http, session_id, **{"X-Idempotency-Key": key})
    replay = await trash(http, session_id, **{"X-Idempotency-Key": key})
    assert replay.status_code == 200 and replay.headers.get("idempotent-replayed") == "true"
    assert replay.json() == first.json() and first.json()["changed"]


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE domain_events SET payload = '{}'::jsonb WHERE aggregate_id = $1",
        "DELETE FROM domain_events WHERE aggregate_id = $1",
        "SELECT erase_purged_aggregate('GENESIS_SESSION', $1)",
    ],
)
async def test_the_log_of_a_live_session_stays_append_only(
    http: httpx.AsyncClient, pool: asyncpg.Pool, sql: str
) -> None:
    session_id = await new_session(http)
    ok(await trash(http, session_id))  # trashed is not purged: still untouchable
    with pytest.raises(asyncpg.RestrictViolationError):
        await pool.execute(sql, str(session_id))
    async with pool.acquire() as connection, connection.transaction():
        # Even naming the aggregate in the setting by hand erases nothing that is not purged.
        await connection.execute(
            "SELECT set_config('scribe.erase_aggregate', $1, true)", f"GENESIS_SESSION/{session_id}"
        )
        with pytest.raises(asyncpg.RestrictViolationError):
            await connection.execute(
                "UPDATE domain_events SET payload = '{}'::jsonb WHERE aggregate_id = $1",
                str(session_id),
            )


async def test_a_purged_tombstone_cannot_be_erased_or_rewritten(
    http: httpx.AsyncClient, pool: asyncpg.Pool
) -> None:
    session_id = await new_session(http)
    ok(await trash(http, session_id))
    ok(await purge(http, session_id))
    async with pool.acquire() as connection, connection.transaction():
        await connection.execute(
            "SELECT set_config('scribe.erase_aggregate', $1, true)", f"GENESIS_SESSION/{session_id}"
        )
        for sql in (
            "UPDATE domain_events SET payload = '{}'::jsonb WHERE aggregate_id = $1 "
            "AND event_type = 'Genesis.Session.Purged'",
            "UPDATE domain_events SET event_type = 'Genesis.Session.Restored' "
            "WHERE aggregate_id = $1 AND aggregate_version = 1",
        ):
            with pytest.raises(asyncpg.RestrictViolationError):
                async with connection.transaction():
                    await connection.execute(sql, str(session_id))


async def test_openapi_documents_the_trash_routes_and_their_errors(http: httpx.AsyncClient) -> None:
    paths = ok(await http.get("/openapi.json"))["paths"]
    expected = {
        ("post", "/api/v1/genesis/sessions/{session_id}/trash"): "TrashReply",
        ("post", "/api/v1/genesis/sessions/{session_id}/restore"): "TrashReply",
        ("delete", "/api/v1/genesis/sessions/{session_id}"): "PurgeReply",
        ("get", "/api/v1/trash"): "TrashList",
    }
    for (method, path), model in expected.items():
        responses = paths[path][method]["responses"]
        schema = responses["200"]["content"]["application/json"]["schema"]
        assert schema["$ref"].endswith(f"/{model}"), (path, schema)
        assert {"401", "404", "422"} <= set(responses), (path, set(responses))
        if method != "get":
            assert "409" in responses


async def test_a_generation_finishing_in_the_trash_is_there_after_restore(
    http: httpx.AsyncClient, pool: asyncpg.Pool, settings: Settings
) -> None:
    session_id = await new_session(http)
    asked = ok(await command(http, session_id, "RequestConceptGeneration", {}), 202)
    ok(await trash(http, session_id))
    task = await pool.fetchval(
        "SELECT status::text FROM async_tasks WHERE session_id = $1", session_id
    )
    assert task == "PENDING"  # trashing cancels nothing
    await propose(pool, settings, session_id, asked, "CONCEPT_SELECTION")  # the agent answers
    inside = await state(http, session_id)
    assert inside["trashed"] and inside["last_result"] and not inside["is_pending"]
    ok(await restore(http, session_id))
    assert (await state(http, session_id))["last_result"] == inside["last_result"]
    feedback = await command(http, session_id, "SubmitFeedback", {"feedback": "more"})
    assert feedback.status_code == 202, feedback.text
