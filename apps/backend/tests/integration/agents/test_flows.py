"""Paused flows end to end, over real HTTP, the relay, the broker and the agent worker: a
proposal pauses its flow, the writer resumes it (endpoint or command), the flow goes on; the
worker's sweeper expires a handle; event chains show the causation tree (docs/flows.md)."""

import asyncio
import uuid
from typing import Any

import asyncpg
import httpx
import pytest

from infinite_scribe.settings.settings import Settings
from tests.support.agent_stack import (
    agent_stack,
    client,
    events_of,
    stack_settings,
    wait_flow,
    wait_task,
)

pytestmark = [pytest.mark.kafka, pytest.mark.slow]

FLOWS = "/api/v1/flows"

STORY_CHOICE = {"stage": "STORY_CONCEPTION", "choice": 0}
CONCEPT_CHOICE = {"stage": "CONCEPT_SELECTION", "choice": 0}


async def generate(http: httpx.AsyncClient, sid: str, body: dict[str, Any]) -> str:
    """Send a generation command, wait for its proposal and its pause; the flow's id."""
    reply = await http.post(f"/api/v1/genesis/sessions/{sid}/commands", json=body)
    assert reply.status_code == 202, reply.text
    assert (await wait_task(http, reply.json()["task_id"]))["status"] == "COMPLETED"
    cid: str = reply.json()["correlation_id"]
    await wait_flow(http, cid, "PAUSED")
    return cid


async def test_pause_resume_expire_and_chains(settings: Settings, clean_db: asyncpg.Pool) -> None:
    config = stack_settings(settings, flow_sweep_interval_seconds=0.3)
    user = uuid.uuid4()
    async with (
        agent_stack(config) as server,
        client(server, config, user) as http,
        client(server, config, uuid.uuid4()) as stranger,
    ):
        sid = (await http.post("/api/v1/genesis/sessions")).json()["session_id"]
        first = await generate(http, sid, {"command_type": "RequestConceptGeneration"})

        # The writer answers through the flow: feedback -> a new generation (a new flow).
        # Ten replies at once: one resumes, the others are refused (no double resume).
        feedback = {"command_type": "SubmitFeedback", "payload": {"feedback": "darker"}}
        replies = await asyncio.gather(
            *(http.post(f"{FLOWS}/{first}/resume", json=feedback) for _ in range(10))
        )
        [reply] = [r for r in replies if r.status_code == 202]
        refused = {r.json()["error_code"] for r in replies if r is not reply}
        assert refused <= {"FLOW_ALREADY_RESUMED", "DUPLICATE_COMMAND"}, refused
        assert [r.status_code for r in replies].count(409) == 9
        body = reply.json()
        assert (
            body["flow"]["status"] == "RESUMED" and body["flow"]["resumed_by"] == "SubmitFeedback"
        )
        assert reply.headers["Location"] == f"/api/v1/tasks/{body['task_id']}"
        revised = await wait_task(http, body["task_id"])
        assert revised["status"] == "COMPLETED"
        second = body["correlation_id"]
        await wait_flow(http, second, "PAUSED")

        again = await http.post(f"{FLOWS}/{first}/resume", json=feedback)
        assert again.status_code == 409 and again.json()["error_code"] == "FLOW_ALREADY_RESUMED"
        await _refusals(http, stranger, second)

        # Resume by the endpoint with an idempotency key: a retry replays the first answer.
        key = {"Idempotency-Key": f"confirm-{second}"}
        confirm = {"stage": "CONCEPT_SELECTION", "data": {"title": "星海迷踪"}}
        body = {"command_type": "ConfirmStage", "payload": confirm}
        ok = await http.post(f"{FLOWS}/{second}/resume", json=body, headers=key)
        assert ok.status_code == 200, ok.text
        assert ok.json()["flow"]["resumed_by"] == "ConfirmStage"
        retry = await http.post(f"{FLOWS}/{second}/resume", json=body, headers=key)
        assert retry.status_code == 200 and retry.json() == ok.json()
        assert retry.headers["Idempotent-Replayed"] == "true"

        # The worker's sweeper expires a handle past its time.
        third = await generate(http, sid, {"command_type": "RequestStageGeneration", "payload": {}})
        await clean_db.execute(
            "UPDATE flow_resume_handles SET expires_at = now() WHERE correlation_id = $1", third
        )
        await wait_flow(http, third, "EXPIRED", within=30)
        late = await http.post(
            f"{FLOWS}/{third}/resume",
            json={"command_type": "ConfirmStage", "payload": STORY_CHOICE},
        )
        assert late.status_code == 409 and late.json()["error_code"] == "FLOW_HANDLE_EXPIRED"

        # A plain command on the session is a reply too.
        fourth = await generate(
            http, sid, {"command_type": "RequestStageGeneration", "payload": {}}
        )
        ok = await http.post(
            f"/api/v1/genesis/sessions/{sid}/commands",
            json={"command_type": "ConfirmStage", "payload": STORY_CHOICE},
        )
        assert ok.status_code == 200, ok.text
        assert (await wait_flow(http, fourth, "RESUMED"))["resumed_by"] == "ConfirmStage"

        await _chains(http, stranger, first)
    await _session_story(clean_db, sid, [first, second, third, fourth])


async def _refusals(http: httpx.AsyncClient, stranger: httpx.AsyncClient, cid: str) -> None:
    confirm = {"command_type": "ConfirmStage", "payload": CONCEPT_CHOICE}
    for response in (
        await stranger.get(f"{FLOWS}/{cid}"),
        await http.get(f"{FLOWS}/{uuid.uuid4()}"),
    ):
        assert response.status_code == 404 and response.json()["error_code"] == "NOT_FOUND"
    for response in (
        await stranger.post(f"{FLOWS}/{cid}/resume", json=confirm),
        await http.post(f"{FLOWS}/{uuid.uuid4()}/resume", json=confirm),
    ):
        assert response.status_code == 409, response.text
        assert response.json()["error_code"] == "FLOW_HANDLE_NOT_FOUND"
    for path, body in (
        (f"{FLOWS}/not-a-uuid/resume", confirm),
        (f"{FLOWS}/{cid}/resume", {"command_type": "AbandonSession", "payload": {}}),
        (f"{FLOWS}/{cid}/resume", {"command_type": "SubmitFeedback", "payload": {}}),
        (f"{FLOWS}/{cid}/resume", {"command_type": "ConfirmStage", "extra": 1}),
        (f"{FLOWS}/{cid}/resume", [1, 2]),
    ):
        response = await http.post(path, json=body)
        assert response.status_code == 422, (path, body, response.text)
        assert {"error_code", "message"} <= response.json().keys()
    assert (await http.get(f"{FLOWS}/{cid}")).json()["status"] == "PAUSED"  # nothing moved
    unauthenticated = await http.post(
        f"{FLOWS}/{cid}/resume", json=confirm, headers={"Authorization": "Bearer nope"}
    )
    assert unauthenticated.status_code == 401


async def _chains(http: httpx.AsyncClient, stranger: httpx.AsyncClient, cid: str) -> None:
    flow = (await http.get("/api/v1/events", params={"correlation_id": cid})).json()["events"]
    request, proposal = flow[0], flow[1]
    assert proposal["event_type"] == "Genesis.Session.Concept.Proposed"
    chain = (await http.get(f"/api/v1/events/{proposal['event_id']}/chain")).json()
    assert chain["root_cause_id"] == cid  # the command that started the flow
    assert [e["event_id"] for e in chain["ancestors"]] == [request["event_id"]]
    assert chain["tree"]["event"]["event_id"] == proposal["event_id"]
    children = {node["event"]["event_type"] for node in chain["tree"]["children"]}
    assert children == {"Genesis.Session.FlowPaused"}
    assert chain["truncated"] is False
    top = (await http.get(f"/api/v1/events/{request['event_id']}/chain")).json()
    assert top["ancestors"] == [] and top["tree"]["children"][0]["children"]
    cut = (await http.get(f"/api/v1/events/{request['event_id']}/chain?depth=1&limit=1")).json()
    assert cut["tree"]["children"][0]["children"] == [] and cut["truncated"] is True
    paused = chain["tree"]["children"][0]["event"]["event_id"]
    near = (await http.get(f"/api/v1/events/{paused}/chain?depth=1")).json()
    assert [e["event_id"] for e in near["ancestors"]] == [proposal["event_id"]]
    assert near["truncated"] is True and near["root_cause_id"] == request["event_id"]
    full = (await http.get(f"/api/v1/events/{paused}/chain?depth=2")).json()
    assert full["truncated"] is False and full["root_cause_id"] == cid
    for response in (
        await stranger.get(f"/api/v1/events/{proposal['event_id']}/chain"),
        await http.get(f"/api/v1/events/{uuid.uuid4()}/chain"),
    ):
        assert response.status_code == 404 and response.json()["error_code"] == "NOT_FOUND"
    for query in ("depth=0", "depth=65", "limit=0", "limit=abc"):
        bad = await http.get(f"/api/v1/events/{proposal['event_id']}/chain?{query}")
        assert bad.status_code == 422, query
    assert (await http.get("/api/v1/events/nope/chain")).status_code == 422


async def _session_story(pool: asyncpg.Pool, sid: str, flows: list[str]) -> None:
    """The session's log tells what happened, once each, in contiguous versions."""
    events = await events_of(pool, sid)
    flow_events = [
        (e["event_type"].rsplit(".", 1)[1], str(e["correlation_id"]))
        for e in events
        if ".Flow" in e["event_type"]
    ]
    first, second, third, fourth = flows
    assert flow_events == [
        ("FlowPaused", first),
        ("FlowResumed", first),
        ("FlowPaused", second),
        ("FlowResumed", second),
        ("FlowPaused", third),
        ("FlowExpired", third),
        ("FlowPaused", fourth),
        ("FlowResumed", fourth),
    ]
    versions = [event["aggregate_version"] for event in events]
    assert versions == list(range(1, len(events) + 1))
