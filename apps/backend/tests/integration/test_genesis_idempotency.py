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
    # A replay is the first answer, byte for byte (the inbox row is the key's record).
    assert {r.content for r in replies if r.status_code == 202} == {executed[0].content}
    inbox = await pool.fetchval("SELECT count(*) FROM command_inbox WHERE session_id = $1", session)
    assert inbox == 1


async def test_a_keyed_command_keeps_its_key_in_its_inbox_row(
    http: httpx.AsyncClient, pool: asyncpg.Pool
) -> None:
    session = await new_session(http)
    key = f"confirm-{uuid.uuid4()}"
    confirm = {"stage": "CONCEPT_SELECTION", "data": {"title": "t"}}
    early = await command(
        http, session, "SubmitFeedback", {"feedback": "x"}, **{"X-Idempotency-Key": key}
    )
    assert early.status_code == 409  # refused: nothing stored, the key stays free
    assert (
        await pool.fetchval("SELECT count(*) FROM command_inbox WHERE idempotency_key = $1", key)
        == 0
    )
    first = await command(http, session, "ConfirmStage", confirm, **{"X-Idempotency-Key": key})
    assert first.status_code == 200 and "idempotent-replayed" not in first.headers
    row = await pool.fetchrow(
        "SELECT id, request_fingerprint FROM command_inbox WHERE idempotency_key = $1", key
    )
    assert row is not None and str(row["id"]) == first.json()["command_id"]
    assert row["request_fingerprint"]  # the record: one row, no idempotency_cache row
    assert await pool.fetchval("SELECT count(*) FROM idempotency_cache WHERE key = $1", key) == 0
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


async def test_a_commands_key_is_the_users_on_every_route(
    http: httpx.AsyncClient, pool: asyncpg.Pool
) -> None:
    """The key is scoped to the user (the contract): a command's key sent to another session,
    or to another route, answers 422 and runs nothing; an async command's repeat names its
    task as the first answer did."""
    first_session, second_session = await new_session(http), await new_session(http)
    key = f"concept-{uuid.uuid4()}"
    first = await command(
        http, first_session, "RequestConceptGeneration", {}, **{"X-Idempotency-Key": key}
    )
    assert first.status_code == 202 and "task_id" in first.json()
    again = await command(
        http, first_session, "RequestConceptGeneration", {}, **{"X-Idempotency-Key": key}
    )
    assert (again.status_code, again.content) == (202, first.content)
    assert again.headers["location"] == first.headers["location"]
    elsewhere = await command(
        http, second_session, "RequestConceptGeneration", {}, **{"X-Idempotency-Key": key}
    )
    assert elsewhere.status_code == 422
    assert elsewhere.json()["error_code"] == "IDEMPOTENCY_KEY_REUSED"
    created = await http.post(BASE, json={}, headers={"X-Idempotency-Key": key})
    assert created.status_code == 422 and created.json()["error_code"] == "IDEMPOTENCY_KEY_REUSED"
    inbox = await pool.fetchval(
        "SELECT count(*) FROM command_inbox WHERE session_id = $1", second_session
    )
    assert inbox == 0


async def test_a_routes_key_refuses_a_command(http: httpx.AsyncClient) -> None:
    """The other way round: a key another route answered is refused to a command (422)."""
    key = f"create-{uuid.uuid4()}"
    created = await http.post(BASE, json={}, headers={"X-Idempotency-Key": key})
    assert created.status_code == 201
    session = created.json()["session_id"]
    refused = await command(
        http, session, "RequestConceptGeneration", {}, **{"X-Idempotency-Key": key}
    )
    assert refused.status_code == 422 and refused.json()["error_code"] == "IDEMPOTENCY_KEY_REUSED"
