"""The genesis API over real HTTP against real PostgreSQL: replies, events, snapshots."""

import uuid
from uuid import UUID

import asyncpg
import httpx

from infinite_scribe.persistence.genesis.sessions import load_session
from infinite_scribe.settings.settings import Settings
from tests.support.agent import answer_request
from tests.support.events import replayed
from tests.support.genesis_client import BASE, command, new_session, state

STAGES = ["CONCEPT_SELECTION", "STORY_CONCEPTION", "WORLDVIEW", "CHARACTERS", "PLOT_OUTLINE"]
TRACEPARENT = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"


async def test_create_session_and_read_state(http: httpx.AsyncClient) -> None:
    response = await http.post(BASE, json={"initial_user_input": {"idea": "dragons"}})
    assert response.status_code == 201
    body = response.json()
    assert body["status"] == "IN_PROGRESS" and body["current_stage"] == "CONCEPT_SELECTION"
    current = await state(http, UUID(body["session_id"]))
    assert current == {
        "session_id": body["session_id"],
        "status": "IN_PROGRESS",
        "current_stage": "CONCEPT_SELECTION",
        "is_pending": False,
        "pending_command_type": None,
        "confirmed_data": {},
        "last_result": None,
        "novel_id": None,
        "version": 1,
        "trashed": False,
        "trashed_at": None,
        "branched_from": None,
        "codex": None,  # read from the idea with the first proposal (issue 76)
    }
    assert (await http.post(BASE)).status_code == 201  # the body is optional


async def test_async_command_reply_event_outbox_and_metadata(
    http: httpx.AsyncClient, pool: asyncpg.Pool, settings: Settings, user_id: UUID
) -> None:
    session_id = await new_session(http)
    response = await command(
        http,
        session_id,
        "RequestConceptGeneration",
        {"user_input": "a heist"},
        **{"X-Request-ID": "req-123", "traceparent": TRACEPARENT},
    )
    assert response.status_code == 202, response.text
    assert response.headers["x-request-id"] == "req-123"
    reply = response.json()
    assert reply["status"] == "RECEIVED"
    assert reply["correlation_id"] == reply["command_id"]
    assert set(reply) == {"command_id", "status", "message", "correlation_id", "task_id"}
    assert response.headers["location"] == f"/api/v1/tasks/{reply['task_id']}"
    event = await pool.fetchrow(
        "SELECT * FROM domain_events WHERE aggregate_id = $1 AND aggregate_version = 2",
        str(session_id),
    )
    # The task was written in the command's transaction, pointing at the request event.
    task = await pool.fetchrow("SELECT * FROM async_tasks WHERE id = $1", UUID(reply["task_id"]))
    assert task["status"] == "PENDING"
    assert task["task_type"] == "RequestConceptGeneration"
    assert str(task["triggered_by_command_id"]) == reply["command_id"]
    assert task["request_event_id"] == event["event_id"]
    assert (task["user_id"], task["session_id"]) == (user_id, session_id)
    assert event["event_type"] == "Genesis.Session.ConceptGenerationRequested"
    assert str(event["correlation_id"]) == reply["command_id"]
    assert str(event["causation_id"]) == reply["command_id"]
    assert event["metadata"] == {
        "user_id": str(user_id),
        "source_service": "api",
        "request_id": "req-123",
        "traceparent": TRACEPARENT,
    }
    outbox = await pool.fetch("SELECT * FROM event_outbox WHERE key = $1", str(session_id))
    assert len(outbox) == 2  # Created + ConceptGenerationRequested
    by_event = {row["event_id"]: row for row in outbox}
    row = by_event[event["event_id"]]
    assert row["topic"] == settings.kafka_topic and row["status"] == "PENDING"
    assert row["payload"]["event_type"] == event["event_type"]
    assert row["payload"]["aggregate_id"] == str(session_id)
    inbox = await pool.fetchrow("SELECT * FROM command_inbox WHERE session_id = $1", session_id)
    assert inbox["status"] == "RECEIVED" and str(inbox["id"]) == reply["command_id"]
    current = await state(http, session_id)
    assert current["is_pending"] and current["pending_command_type"] == "RequestConceptGeneration"


async def test_request_id_is_generated_when_absent_or_unusable(http: httpx.AsyncClient) -> None:
    response = await http.get(f"{BASE}/{uuid.uuid4()}/state")
    assert response.status_code == 404
    assert len(response.headers["x-request-id"]) == 32
    odd = await http.get(f"{BASE}/{uuid.uuid4()}/state", headers={"X-Request-ID": "x" * 500})
    assert odd.headers["x-request-id"] != "x" * 500


async def test_full_walk_to_finished_creates_a_novel(
    http: httpx.AsyncClient, pool: asyncpg.Pool, settings: Settings
) -> None:
    session_id = await new_session(http)
    assert (await command(http, session_id, "RequestConceptGeneration")).status_code == 202
    for stage in STAGES:
        if stage != "CONCEPT_SELECTION":
            requested = await command(http, session_id, "RequestStageGeneration", {"stage": stage})
            assert requested.status_code == 202, requested.text
        data = {"title": "The Long Walk", "theme": "endurance"} if stage == STAGES[0] else {"n": 1}
        response = await command(http, session_id, "ConfirmStage", {"stage": stage, "data": data})
        assert response.status_code == 200, response.text
        assert response.json()["status"] == "COMPLETED"
    final = await state(http, session_id)
    assert final["status"] == "COMPLETED" and final["current_stage"] == "FINISHED"
    assert set(final["confirmed_data"]) == set(STAGES)
    novel = await pool.fetchrow("SELECT * FROM novels WHERE id = $1", UUID(final["novel_id"]))
    assert novel["title"] == "The Long Walk" and novel["theme"] == "endurance"
    linked = await pool.fetchval("SELECT novel_id FROM genesis_sessions WHERE id = $1", session_id)
    assert str(linked) == final["novel_id"]
    for command_type, payload in [
        ("ConfirmStage", {"stage": "PLOT_OUTLINE"}),
        ("ConfirmStage", {"stage": "FINISHED"}),
        ("AbandonSession", {}),
        ("RequestStageGeneration", {}),
    ]:
        refused = await command(http, session_id, command_type, payload)
        assert refused.status_code == 409 and refused.json()["error_code"] == "INVALID_STATE"
    # Superseded generation requests were closed, so none is left pending.
    pending = await pool.fetchval(
        "SELECT count(*) FROM command_inbox WHERE session_id = $1 AND status = 'RECEIVED'",
        session_id,
    )
    assert pending == 0
    events = (await http.get(f"{BASE}/{session_id}/events")).json()["events"]
    types = [event["event_type"] for event in events]
    assert types[0] == "Genesis.Session.Created" and types[-1] == "Genesis.Session.Finished"
    assert [event["aggregate_version"] for event in events] == list(range(1, len(events) + 1))
    finished, confirmed = events[-1], events[-2]
    assert finished["causation_id"] == confirmed["event_id"]
    assert finished["correlation_id"] == confirmed["correlation_id"]
    await assert_snapshot_is_replay(pool, settings, session_id)


async def assert_snapshot_is_replay(pool: asyncpg.Pool, settings: Settings, sid: UUID) -> None:
    owner = await pool.fetchval("SELECT user_id FROM genesis_sessions WHERE id = $1", sid)
    stored = await load_session(pool, sid, owner)
    assert stored is not None
    assert await replayed(pool, sid) == stored.state


async def test_events_pagination_and_correlation(http: httpx.AsyncClient) -> None:
    session_id = await new_session(http)
    for stage in STAGES[:3]:
        await command(http, session_id, "ConfirmStage", {"stage": stage, "data": {"t": 1}})
    first = (await http.get(f"{BASE}/{session_id}/events", params={"limit": 2})).json()
    assert [e["aggregate_version"] for e in first["events"]] == [1, 2]
    assert isinstance(first["next_cursor"], str) and "occurred_at" in first["events"][0]
    cursor = first["next_cursor"]
    rest = await http.get(f"{BASE}/{session_id}/events", params={"cursor": cursor, "limit": 10})
    assert [e["aggregate_version"] for e in rest.json()["events"]] == [3, 4]
    assert rest.json()["next_cursor"] is None
    forged = await http.get(f"{BASE}/{session_id}/events", params={"cursor": "2"})
    assert forged.status_code == 422 and forged.json()["error_code"] == "INVALID_CURSOR"
    correlation = first["events"][1]["correlation_id"]
    flow = (await http.get("/api/v1/events", params={"correlation_id": correlation})).json()
    assert [e["event_type"] for e in flow["events"]] == ["Genesis.Session.StageConfirmed"]
    bad = await http.get(f"{BASE}/{session_id}/events", params={"limit": 0})
    assert bad.status_code == 422 and bad.json()["error_code"] == "VALIDATION_ERROR"


async def test_proposal_enables_feedback_and_snapshot_matches_replay(
    http: httpx.AsyncClient, pool: asyncpg.Pool, settings: Settings, user_id: UUID
) -> None:
    session_id = await new_session(http)
    early = await command(http, session_id, "SubmitFeedback", {"feedback": "more"})
    assert early.status_code == 409 and early.json()["error_code"] == "INVALID_STATE"
    requested = (await command(http, session_id, "RequestConceptGeneration")).json()
    # What an agent (issue 6) will do: append the proposal, caused by the command.
    await answer_request(
        pool, settings.kafka_topic, UUID(requested["command_id"]), {"concepts": ["A", "B"]}
    )
    current = await state(http, session_id)
    served = {"stage": "CONCEPT_SELECTION", "concepts": ["A", "B"]}  # the proposal + its stage
    assert not current["is_pending"] and current["last_result"] == served
    status = await pool.fetchval(
        "SELECT status::text FROM command_inbox WHERE id = $1", UUID(requested["command_id"])
    )
    assert status == "COMPLETED"
    feedback = await command(http, session_id, "SubmitFeedback", {"feedback": "darker"})
    assert feedback.status_code == 202, feedback.text
    again = await command(http, session_id, "RequestConceptGeneration")
    assert again.status_code == 409 and again.json()["error_code"] == "INVALID_STATE"
    await assert_snapshot_is_replay(pool, settings, session_id)


async def test_abandon(http: httpx.AsyncClient) -> None:
    session_id = await new_session(http)
    response = await command(http, session_id, "AbandonSession", {"reason": "done"})
    assert response.status_code == 200
    assert (await state(http, session_id))["status"] == "ABANDONED"
    again = await command(http, session_id, "AbandonSession")
    assert again.status_code == 409 and again.json()["error_code"] == "INVALID_STATE"


async def test_idempotency_key_returns_the_original_command(
    http: httpx.AsyncClient, pool: asyncpg.Pool
) -> None:
    session_id = await new_session(http)
    key = {"X-Idempotency-Key": f"key-{uuid.uuid4()}"}
    first = await command(http, session_id, "RequestConceptGeneration", **key)
    second = await command(http, session_id, "RequestConceptGeneration", **key)
    assert first.status_code == second.status_code == 202
    assert second.json()["command_id"] == first.json()["command_id"]
    sync_key = {"Idempotency-Key": f"key-{uuid.uuid4()}"}  # the standard header works too
    confirm = {"stage": "CONCEPT_SELECTION", "data": {"title": "T"}}
    one = await command(http, session_id, "ConfirmStage", confirm, **sync_key)
    two = await command(http, session_id, "ConfirmStage", confirm, **sync_key)
    assert one.status_code == two.status_code == 200
    assert one.json()["command_id"] == two.json()["command_id"]
    counts = await pool.fetchrow(
        "SELECT (SELECT count(*) FROM command_inbox WHERE session_id = $1) AS inbox, "
        "(SELECT count(*) FROM domain_events WHERE aggregate_id = $2) AS events, "
        "(SELECT count(*) FROM event_outbox WHERE key = $2) AS outbox",
        session_id,
        str(session_id),
    )
    assert dict(counts) == {"inbox": 2, "events": 3, "outbox": 3}


async def test_bad_requests_are_clear_4xx_and_change_nothing(
    http: httpx.AsyncClient, pool: asyncpg.Pool
) -> None:
    session_id = await new_session(http)
    url = f"{BASE}/{session_id}/commands"
    cases = [
        ({"command_type": "LaunchRocket", "payload": {}}, 422, "UNKNOWN_COMMAND"),
        ({"command_type": "ConfirmStage", "payload": {"stage": "NOPE"}}, 422, "VALIDATION_ERROR"),
        ({"command_type": "ConfirmStage", "payload": {}}, 422, "VALIDATION_ERROR"),
        ({"command_type": "ConfirmStage", "payload": {"stage": "WORLDVIEW"}}, 409, "INVALID_STATE"),
        ({"command_type": "SubmitFeedback", "payload": {"feedback": "a\x00b"}}, 422, None),
        (
            {
                "command_type": "ConfirmStage",
                "payload": {"stage": "CONCEPT_SELECTION", "data": {"n": 2**70}},
            },
            422,
            None,
        ),
        ({"payload": {}}, 422, "VALIDATION_ERROR"),
        ({"command_type": "AbandonSession", "payload": []}, 422, "VALIDATION_ERROR"),
    ]
    for body, status, code in cases:
        response = await http.post(url, json=body)
        assert response.status_code == status, (body, response.text)
        assert response.json()["error_code"] == (code or "VALIDATION_ERROR")
        assert response.json()["message"]
    malformed = await http.post(
        url, content=b"{not json", headers={"Content-Type": "application/json"}
    )
    assert malformed.status_code in (400, 422) and malformed.json()["error_code"]
    missing = await command(http, uuid.uuid4(), "AbandonSession")
    assert missing.status_code == 404 and missing.json()["error_code"] == "NOT_FOUND"
    assert (await state(http, session_id))["version"] == 1
    inbox = await pool.fetchval(
        "SELECT count(*) FROM command_inbox WHERE session_id = $1", session_id
    )
    assert inbox == 0
