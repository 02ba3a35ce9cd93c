"""A writer walks all five stages with proposals from the agents (offline generator), over
real HTTP, through the outbox, the relay, the broker and the agent worker."""

import uuid

import asyncpg
import pytest

from infinite_scribe.settings.settings import Settings
from tests.support.agent_stack import agent_stack, client, events_of, stack_settings, wait_task

pytestmark = [pytest.mark.kafka, pytest.mark.slow]

SPEC_REQUEST = {
    "command_type": "RequestConceptGeneration",
    "payload": {"theme_preferences": ["科幻", "悬疑"], "style_preferences": ["快节奏", "第一人称"]},
}
STAGES = ["STORY_CONCEPTION", "WORLDVIEW", "CHARACTERS", "PLOT_OUTLINE"]


async def test_five_stages_with_agent_proposals(settings: Settings, clean_db: asyncpg.Pool) -> None:
    config = stack_settings(settings)
    user = uuid.uuid4()
    async with agent_stack(config) as server, client(server, config, user) as http:
        sid = (await http.post("/api/v1/genesis/sessions")).json()["session_id"]
        commands = f"/api/v1/genesis/sessions/{sid}/commands"

        reply = await http.post(commands, json=SPEC_REQUEST)
        assert reply.status_code == 202, reply.text
        task = await wait_task(http, reply.json()["task_id"])
        assert task["status"] == "COMPLETED" and float(task["progress"]) == 100
        assert task["result"]["source"] == "offline_draft"
        state = (await http.get(f"/api/v1/genesis/sessions/{sid}/state")).json()
        assert state["is_pending"] is False and state["last_result"] == task["result"]

        feedback = {"command_type": "SubmitFeedback", "payload": {"feedback": "darker, please"}}
        reply = await http.post(commands, json=feedback)
        assert reply.status_code == 202, reply.text
        revised = await wait_task(http, reply.json()["task_id"])
        assert revised["status"] == "COMPLETED" and revised["result"] != task["result"]

        confirm = {"stage": "CONCEPT_SELECTION", "data": {"title": "星海迷踪"}}
        ok = await http.post(commands, json={"command_type": "ConfirmStage", "payload": confirm})
        assert ok.status_code == 200, ok.text
        for stage in STAGES:
            request = {"command_type": "RequestStageGeneration", "payload": {"stage": stage}}
            reply = await http.post(commands, json=request)
            assert reply.status_code == 202, reply.text
            done = await wait_task(http, reply.json()["task_id"])
            assert done["status"] == "COMPLETED", done
            confirm = {"stage": stage, "data": done["result"]}
            ok = await http.post(
                commands, json={"command_type": "ConfirmStage", "payload": confirm}
            )
            assert ok.status_code == 200, ok.text

        state = (await http.get(f"/api/v1/genesis/sessions/{sid}/state")).json()
        assert state["status"] == "COMPLETED" and state["current_stage"] == "FINISHED"
        novel = await clean_db.fetchrow("SELECT title FROM novels WHERE user_id = $1", user)
        assert novel["title"] == "星海迷踪"

    await _check_chains(clean_db, sid)


async def _check_chains(pool: asyncpg.Pool, sid: str) -> None:
    """Every proposal is caused by its request event, in the request's flow, by the agent."""
    events = await events_of(pool, sid)
    by_id = {event["event_id"]: event for event in events}
    proposals = [e for e in events if e["event_type"].endswith(".Proposed")]
    assert len(proposals) == 6  # concept, its revision, four stages
    for proposal in proposals:
        cause = by_id[proposal["causation_id"]]
        assert cause["event_type"].endswith(("Requested", "FeedbackSubmitted"))
        assert proposal["correlation_id"] == cause["correlation_id"]
        assert proposal["metadata"]["source_service"] == "agent-worker"
        assert proposal["metadata"]["actor_id"] == "agent:agent-worker"
    # Every event is caused by a command or by an earlier event of the same flow.
    commands = {row["id"] for row in await pool.fetch("SELECT id FROM command_inbox")}
    for event in events[1:]:
        assert event["causation_id"] in by_id or event["causation_id"] in commands
    versions = [event["aggregate_version"] for event in events]
    assert versions == list(range(1, len(events) + 1))
