"""The writer sees the agents work: a stream opened on a session shows the request, the
task's progress and the agent's proposal, through the outbox, the relay, the broker and the
agent worker (offline generator)."""

import json
import uuid

import asyncpg
import pytest

from infinite_scribe.settings.settings import Settings
from tests.support.agent_stack import agent_stack, client, stack_settings
from tests.support.sse_client import open_stream

pytestmark = [pytest.mark.kafka, pytest.mark.slow]

REQUEST = {
    "command_type": "RequestConceptGeneration",
    "payload": {"theme_preferences": ["科幻"], "style_preferences": ["快节奏"]},
}


async def test_stream_shows_request_progress_and_proposal(
    settings: Settings, pool: asyncpg.Pool
) -> None:
    config = stack_settings(settings)
    user = uuid.uuid4()
    async with agent_stack(config) as server, client(server, config, user) as http:
        sid = (await http.post("/api/v1/genesis/sessions")).json()["session_id"]
        async with open_stream(http, sid) as stream:  # the client's bearer header
            await stream.next()
            reply = await http.post(f"/api/v1/genesis/sessions/{sid}/commands", json=REQUEST)
            assert reply.status_code == 202, reply.text
            task_id = reply.json()["task_id"]
            seen: list[str] = []
            progress: list[dict[str, object]] = []
            while "Genesis.Session.Concept.Proposed" not in seen:
                sse = await stream.next(within=60)
                if sse.event == "domain_event":
                    seen.append(json.loads(sse.data)["event_type"])
                elif sse.event == "task_progress":
                    progress.append(json.loads(sse.data))
    # (The session's Created event may come first: committed just before the stream opened
    # but not yet dispatched, it is above the horizon the stream started from.)
    assert next(name for name in seen if name != "Genesis.Session.Created") == (
        "Genesis.Session.ConceptGenerationRequested"
    )
    assert progress and all(item["task_id"] == task_id for item in progress)
    ids = [item["progress"] for item in progress]
    assert ids == sorted(ids)  # progress only moves forward
