"""CancelGeneration against a real `scribe worker` process and the fake model server (issue
38, decision 4003): the writer cancels while the model streams; the worker closes the model's
connection, the task is CANCELLED and no proposal lands."""

import asyncio
import uuid
from pathlib import Path

import asyncpg
import pytest

from infinite_scribe.domain.genesis import CONCEPT_PROPOSED, GENERATION_CANCELLED
from infinite_scribe.settings.settings import Settings
from tests.integration.agents.test_worker_process import (
    REQUEST,
    WorkerProcess,
    _api_and_relay,
    _until,
    _workers,
)
from tests.support.agent_stack import client, events_of, stack_settings
from tests.support.fake_llm import FakeLLMServer, Reply

pytestmark = [pytest.mark.kafka, pytest.mark.slow]


async def test_cancel_mid_stream_closes_the_model_call_and_lands_nothing(
    settings: Settings, clean_db: asyncpg.Pool, tmp_path: Path
) -> None:
    config = stack_settings(settings)
    # The first token at once, the rest over a minute: the cancel comes mid-stream.
    with FakeLLMServer(default=Reply.streamed(0.0, 60)) as llm, _workers() as workers:
        worker = WorkerProcess(config, llm, tmp_path / "worker.log").start()
        workers.append(worker)
        await worker.healthy()
        async with _api_and_relay(config) as server, client(server, config, uuid.uuid4()) as http:
            sid = (await http.post("/api/v1/genesis/sessions")).json()["session_id"]
            reply = await http.post(f"/api/v1/genesis/sessions/{sid}/commands", json=REQUEST)
            assert reply.status_code == 202, reply.text
            task_id = reply.json()["task_id"]

            async def streaming() -> bool:
                return len(llm.first_tokens) >= 1

            await _until(streaming, 60, f"the model to stream: {worker.output()}")
            cancel = await http.post(
                f"/api/v1/genesis/sessions/{sid}/commands",
                json={"command_type": "CancelGeneration", "payload": {}},
            )
            assert cancel.status_code == 200, cancel.text

            async def closed() -> bool:
                return llm.abandoned >= 1

            await _until(closed, 30, f"the model connection to close: {worker.output()}")
            assert llm.in_flight == 0
            task = (await http.get(f"/api/v1/tasks/{task_id}")).json()
            assert task["status"] == "CANCELLED", task
            assert "model call stopped" in worker.output()

            # A proposal would land within the relay's next rounds: none does.
            await asyncio.sleep(2)
            types = [e["event_type"] for e in await events_of(clean_db, sid)]
            assert GENERATION_CANCELLED in types and CONCEPT_PROPOSED not in types, types
            state = (await http.get(f"/api/v1/genesis/sessions/{sid}/state")).json()
            assert state["is_pending"] is False and state["last_result"] is None
            assert len(llm.requests) == 1  # not asked again (no retry, no re-drive)
