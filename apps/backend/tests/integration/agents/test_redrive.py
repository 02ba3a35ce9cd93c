"""Restart safety: a request the broker lost (the embedded broker keeps messages in memory only)
is re-published by the worker's re-drive sweeper, and its task completes."""

import asyncio
import uuid

import asyncpg
import pytest

from infinite_scribe.settings.settings import Settings
from tests.support.agent_stack import agent_stack, client, events_of, stack_settings, wait_task

pytestmark = [pytest.mark.kafka, pytest.mark.slow]


async def test_a_request_lost_with_the_broker_is_redriven(
    settings: Settings, clean_db: asyncpg.Pool
) -> None:
    lost = stack_settings(settings)
    user = uuid.uuid4()
    # First life: the API alone writes the request; its outbox row is then marked SENT as if a
    # relay had published it to a broker that died with it (nothing ever reaches a worker).
    async with agent_stack(lost, workers=0) as server, client(server, lost, user) as http:
        sid = (await http.post("/api/v1/genesis/sessions")).json()["session_id"]
        reply = await http.post(
            f"/api/v1/genesis/sessions/{sid}/commands",
            json={"command_type": "RequestConceptGeneration", "payload": {}},
        )
        task_id = reply.json()["task_id"]
        await asyncio.sleep(1.0)
    await clean_db.execute("UPDATE event_outbox SET status = 'SENT', sent_at = now()")
    await clean_db.execute("UPDATE async_tasks SET updated_at = now() - interval '1 hour'")

    # Second life, on an empty topic: the sweeper re-publishes the stale request.
    restarted = stack_settings(
        settings, worker_redrive_after_seconds=1.0, worker_redrive_interval_seconds=0.5
    )
    async with agent_stack(restarted) as server, client(server, restarted, user) as http:
        task = await wait_task(http, task_id, within=60)
    assert task["status"] == "COMPLETED"
    proposals = [e for e in await events_of(clean_db, sid) if e["event_type"].endswith("Proposed")]
    assert len(proposals) == 1
