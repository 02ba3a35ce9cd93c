"""A branch with the whole agent stack (issue 37): the worker's proposals carry provenance
(the offline generator), and on a branch the live stream, pause/resume and a rollback work as
on any session; over real HTTP, the outbox, the relay, the broker and the agent worker."""

import json
import uuid

import asyncpg
import httpx
import pytest

from infinite_scribe.settings.settings import Settings
from tests.support.agent_stack import agent_stack, client, stack_settings, wait_flow, wait_task
from tests.support.sse_client import open_stream

pytestmark = [pytest.mark.kafka, pytest.mark.slow]


async def generate(http: httpx.AsyncClient, sid: str, body: dict[str, object]) -> str:
    reply = await http.post(f"/api/v1/genesis/sessions/{sid}/commands", json=body)
    assert reply.status_code == 202, reply.text
    assert (await wait_task(http, reply.json()["task_id"]))["status"] == "COMPLETED"
    return str(reply.json()["correlation_id"])


async def test_provenance_streams_and_flows_on_a_branch(
    settings: Settings, clean_db: asyncpg.Pool
) -> None:
    config = stack_settings(settings)
    async with agent_stack(config) as server, client(server, config, uuid.uuid4()) as http:
        created = await http.post(
            "/api/v1/genesis/sessions", json={"initial_user_input": {"idea": "kites"}}
        )
        sid = created.json()["session_id"]
        await generate(http, sid, {"command_type": "RequestConceptGeneration"})
        history = (await http.get(f"/api/v1/genesis/sessions/{sid}/history")).json()
        proposal = history["stages"][0]["versions"][0]
        provenance = proposal["provenance"]
        assert provenance["provider"] == "offline" and provenance["model"] == "offline-generator"
        assert provenance["attempts"] == 1 and provenance["latency_ms"] >= 0
        assert provenance["tokens_in"] is None and provenance["prompt_version"]
        request = await clean_db.fetchval(
            "SELECT event_id FROM domain_events WHERE aggregate_id = $1 AND event_type = $2",
            sid,
            "Genesis.Session.ConceptGenerationRequested",
        )
        assert provenance["inputs"][-1] == str(request)

        made = await http.post(
            f"/api/v1/genesis/sessions/{sid}/branches", json={"at_event_id": proposal["event_id"]}
        )
        assert made.status_code == 201, made.text
        bid = made.json()["session_id"]
        commands = f"/api/v1/genesis/sessions/{bid}/commands"
        async with open_stream(http, bid) as stream:
            confirm = {"stage": "CONCEPT_SELECTION", "choice": 0}
            ok = await http.post(
                commands, json={"command_type": "ConfirmStage", "payload": confirm}
            )
            assert ok.status_code == 200, ok.text
            flow = await generate(http, bid, {"command_type": "RequestStageGeneration"})
            seen = [json.loads(e.data)["event_type"] for e in await stream.domain_events(4)]
            # The branch's own events, live (its Branched event too when the stream opened
            # before the feed had read it).
            live = [kind for kind in seen if kind != "Genesis.Session.Branched"]
            assert live[:3] == [
                "Genesis.Session.StageConfirmed",
                "Genesis.Session.StageGenerationRequested",
                "Genesis.Session.StageContent.Proposed",
            ]
        # The branch's proposal paused its flow; the writer's reply resumes it.
        await wait_flow(http, flow, "PAUSED")
        reply = {
            "command_type": "ConfirmStage",
            "payload": {"stage": "STORY_CONCEPTION", "choice": 0},
        }
        resumed = await http.post(f"/api/v1/flows/{flow}/resume", json=reply)
        assert resumed.status_code == 200, resumed.text
        assert (await wait_flow(http, flow, "RESUMED"))["status"] == "RESUMED"
        branch_history = (await http.get(f"/api/v1/genesis/sessions/{bid}/history")).json()
        story = branch_history["stages"][1]["versions"]
        assert [v["kind"] for v in story] == ["proposed", "confirmed"]
        assert (
            story[0]["provenance"]["inputs"][0]
            == branch_history["stages"][0]["versions"][-1]["event_id"]
        )  # the branch's own confirmation of the concept
