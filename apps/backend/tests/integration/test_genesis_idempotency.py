"""Idempotency keys on the genesis routes themselves (the middleware in front of the real app)."""

import asyncio
import uuid

import asyncpg
import httpx

from tests.support.genesis_client import BASE, command, new_session


async def test_same_key_twice_creates_one_session(
    http: httpx.AsyncClient, pool: asyncpg.Pool, user_id: uuid.UUID
) -> None:
    key = f"create-{uuid.uuid4()}"
    body = {"initial_user_input": {"idea": "a lighthouse keeper"}}
    first = await http.post(BASE, json=body, headers={"X-Idempotency-Key": key})
    second = await http.post(BASE, json=body, headers={"X-Idempotency-Key": key})
    assert first.status_code == second.status_code == 201
    assert first.content == second.content
    assert "idempotent-replayed" not in first.headers
    assert second.headers["idempotent-replayed"] == "true"
    sessions = await pool.fetchval(
        "SELECT count(*) FROM genesis_sessions WHERE user_id = $1", user_id
    )
    assert sessions == 1


async def test_standard_header_alias_and_a_different_body(http: httpx.AsyncClient) -> None:
    key = f"create-{uuid.uuid4()}"
    first = await http.post(BASE, json={}, headers={"Idempotency-Key": key})
    reused = await http.post(
        BASE, json={"initial_user_input": {"x": 1}}, headers={"Idempotency-Key": key}
    )
    assert first.status_code == 201
    assert reused.status_code == 422
    assert reused.json()["error_code"] == "IDEMPOTENCY_KEY_REUSED"


async def test_concurrent_commands_with_one_key_run_once(
    http: httpx.AsyncClient, pool: asyncpg.Pool
) -> None:
    session = await new_session(http)
    key = f"concept-{uuid.uuid4()}"
    replies = await asyncio.gather(
        *(
            command(http, session, "RequestConceptGeneration", {}, **{"X-Idempotency-Key": key})
            for _ in range(20)
        )
    )
    statuses = sorted(reply.status_code for reply in replies)
    executed = [
        r for r in replies if r.status_code == 202 and "idempotent-replayed" not in r.headers
    ]
    assert len(executed) == 1
    assert set(statuses) <= {202, 409}
    command_ids = {r.json()["command_id"] for r in replies if r.status_code == 202}
    assert command_ids == {executed[0].json()["command_id"]}
    inbox = await pool.fetchval("SELECT count(*) FROM command_inbox WHERE session_id = $1", session)
    assert inbox == 1


async def test_a_keyed_command_stores_its_answer_with_its_write(
    http: httpx.AsyncClient, pool: asyncpg.Pool
) -> None:
    session = await new_session(http)
    key = f"confirm-{uuid.uuid4()}"
    confirm = {"stage": "CONCEPT_SELECTION", "data": {"title": "t"}}
    early = await command(
        http, session, "SubmitFeedback", {"feedback": "x"}, **{"X-Idempotency-Key": key}
    )
    assert early.status_code == 409  # refused: nothing stored, the key stays free
    assert await pool.fetchval("SELECT count(*) FROM idempotency_cache WHERE key = $1", key) == 0
    first = await command(http, session, "ConfirmStage", confirm, **{"X-Idempotency-Key": key})
    assert first.status_code == 200 and "idempotent-replayed" not in first.headers
    row = await pool.fetchrow(
        "SELECT state::text AS state, lease_expires_at, response_status, response_body "
        "FROM idempotency_cache WHERE key = $1",
        key,
    )
    assert row is not None and row["state"] == "COMPLETED" and row["lease_expires_at"] is None
    assert (row["response_status"], bytes(row["response_body"])) == (200, first.content)
    again = await command(http, session, "ConfirmStage", confirm, **{"X-Idempotency-Key": key})
    assert again.status_code == 200 and again.content == first.content
    assert again.headers["idempotent-replayed"] == "true"
    assert again.headers["content-type"] == "application/json"
    other = await command(
        http, session, "ConfirmStage", confirm | {"data": {}}, **{"X-Idempotency-Key": key}
    )
    assert other.status_code == 422 and other.json()["error_code"] == "IDEMPOTENCY_KEY_REUSED"
    events = await pool.fetchval(
        "SELECT count(*) FROM domain_events WHERE aggregate_id = $1", str(session)
    )
    assert events == 2  # Created, StageConfirmed: the replays wrote nothing
