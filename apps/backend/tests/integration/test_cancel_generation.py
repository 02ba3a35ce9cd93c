"""CancelGeneration over real HTTP against real PostgreSQL (issue 38, decision 4003): an event
on the session's stream, the task CANCELLED in the same write, idempotent by its key, 409 when
nothing is running, hostile payloads refused with nothing changed."""

import uuid
from uuid import UUID

import asyncpg
import httpx

from tests.support.genesis_client import BASE, command, new_session, state

CANCELLED = "Genesis.Session.GenerationCancelled"


async def _task(http: httpx.AsyncClient, task_id: str) -> dict[str, object]:
    reply = await http.get(f"/api/v1/tasks/{task_id}")
    assert reply.status_code == 200, reply.text
    body: dict[str, object] = reply.json()
    return body


async def test_cancel_stops_the_request_once_and_409s_when_nothing_runs(
    http: httpx.AsyncClient, pool: asyncpg.Pool
) -> None:
    session_id = await new_session(http)
    idle = await command(http, session_id, "CancelGeneration")
    assert idle.status_code == 409 and idle.json()["error_code"] == "NO_GENERATION_RUNNING"
    assert (await state(http, session_id))["version"] == 1  # nothing written

    request = await command(http, session_id, "RequestConceptGeneration", {"user_input": "x"})
    assert request.status_code == 202, request.text
    task_id = request.json()["task_id"]
    key = {"Idempotency-Key": f"cancel-{uuid.uuid4()}"}
    cancel = await command(
        http, session_id, "CancelGeneration", {"reason": "changed my mind"}, **key
    )
    assert cancel.status_code == 200, cancel.text
    assert cancel.json()["status"] == "COMPLETED"

    after = await state(http, session_id)
    assert after["is_pending"] is False and after["pending_command_type"] is None
    task = await _task(http, task_id)
    assert task["status"] == "CANCELLED", task
    inbox = await pool.fetchval(
        "SELECT status::text FROM command_inbox WHERE id = $1",
        UUID(request.json()["command_id"]),
    )
    assert inbox == "FAILED"
    events = (await http.get(f"{BASE}/{session_id}/events")).json()["events"]
    [event] = [e for e in events if e["event_type"] == CANCELLED]
    assert event["payload"]["command_type"] == "RequestConceptGeneration"
    assert event["payload"]["reason"] == "changed my mind"
    assert event["payload"]["stage"] == "CONCEPT_SELECTION"

    # The same key again: the first answer, nothing new written.
    again = await command(
        http, session_id, "CancelGeneration", {"reason": "changed my mind"}, **key
    )
    assert again.status_code == 200 and again.json()["command_id"] == cancel.json()["command_id"]
    # A new cancel: nothing is running any more.
    other = await command(http, session_id, "CancelGeneration")
    assert other.status_code == 409 and other.json()["error_code"] == "NO_GENERATION_RUNNING"
    version = (await state(http, session_id))["version"]
    assert version == after["version"]

    # The history reads past it (the stopped request proposed nothing).
    history = await http.get(f"{BASE}/{session_id}/history")
    assert history.status_code == 200, history.text

    # The writer may ask again at once (the cancelled request no longer blocks it).
    retry = await command(http, session_id, "RequestConceptGeneration", {"user_input": "y"})
    assert retry.status_code == 202, retry.text


async def test_hostile_cancel_payloads_are_refused_and_change_nothing(
    http: httpx.AsyncClient,
) -> None:
    session_id = await new_session(http)
    await command(http, session_id, "RequestConceptGeneration", {"user_input": "x"})
    before = await state(http, session_id)
    for payload in (
        {"reason": "x" * 1001},
        {"reason": "a\x00b"},
        {"reason": 5},
        {"unknown": True},
    ):
        refused = await command(http, session_id, "CancelGeneration", payload)
        assert refused.status_code == 422, (payload, refused.text)
    assert await state(http, session_id) == before
    missing = await command(http, uuid.uuid4(), "CancelGeneration")
    assert missing.status_code == 404
