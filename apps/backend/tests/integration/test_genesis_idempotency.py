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
