"""An outline of many chapters from a model, in batches that resume (issue 54, decision 5404),
against the real stack: the API, the relay, a worker and PostgreSQL, the model a real local HTTP
server speaking the chat-completions protocol. A batch that fails is asked for again and no
kept part ever is, whether the worker's next attempt resumes or the writer's next request."""

import re
import uuid
from typing import Any

import asyncpg
import httpx
import pytest

from infinite_scribe.settings.settings import Settings
from tests.support.agent_stack import agent_stack, client, stack_settings, wait_task
from tests.support.fake_llm import FakeLLMServer, Reply, SeenRequest

pytestmark = [pytest.mark.kafka, pytest.mark.slow]

_FIRST = re.compile(r"chapters (\d+) to \d+ of the book")
CHAPTERS = 100  # the offline skeleton's 3 acts of 3 chapters: 3 more batches, then one more
EARLIER = ["CONCEPT_SELECTION", "STORY_CONCEPTION", "WORLDVIEW", "CHARACTERS"]


async def _at_the_outline(http: httpx.AsyncClient) -> str:
    created = await http.post("/api/v1/genesis/sessions", json={"initial_user_input": {}})
    assert created.status_code == 201, created.text
    sid = str(created.json()["session_id"])
    for stage in EARLIER:  # confirmed as given: no model call before the outline's
        body = {"command_type": "ConfirmStage", "payload": {"stage": stage, "data": {"x": stage}}}
        answer = await http.post(f"/api/v1/genesis/sessions/{sid}/commands", json=body)
        assert answer.status_code == 200, answer.text
    return sid


async def _ask_outline(http: httpx.AsyncClient, sid: str) -> dict[str, Any]:
    payload = {"stage": "PLOT_OUTLINE", "preferences": {"chapters": CHAPTERS}}
    body = {"command_type": "RequestStageGeneration", "payload": payload}
    reply = await http.post(f"/api/v1/genesis/sessions/{sid}/commands", json=body)
    assert reply.status_code == 202, reply.text
    return await wait_task(http, str(reply.json()["task_id"]), 60)


def _asked(requests: list[SeenRequest]) -> list[str]:
    """What each model request asked for: the outline's acts, or a batch from its first chapter."""
    found = [_FIRST.search(seen.prompt) for seen in requests]
    return [
        "skeleton" if seen.stage is not None else m[1] if m else "?"
        for seen, m in zip(requests, found, strict=True)
    ]


def _config(settings: Settings, llm: FakeLLMServer, attempts: int) -> Settings:
    return stack_settings(
        settings,
        llm_provider="openai",
        llm_base_url=llm.base_url,
        llm_model=FakeLLMServer.MODEL,
        llm_timeout_seconds=5.0,
        llm_max_retries=0,  # a failed call reaches the worker: its attempts resume the plan
        worker_generation_attempts=attempts,
    )


async def _kept(pool: asyncpg.Pool, sid: str) -> int:
    """The session's kept parts (other tests' sessions keep theirs meanwhile)."""
    count: int = await pool.fetchval(
        "SELECT count(*) FROM outline_parts WHERE session_id = $1::uuid", sid
    )
    return count


def _chapters(result: dict[str, Any]) -> list[dict[str, Any]]:
    return [chapter for act in result["acts"] for chapter in act["chapters"]]


async def test_the_workers_next_attempt_resumes_at_the_failed_batch(
    settings: Settings, clean_db: asyncpg.Pool
) -> None:
    with FakeLLMServer() as llm:
        config = _config(settings, llm, attempts=2)
        async with agent_stack(config) as server, client(server, config, uuid.uuid4()) as http:
            sid = await _at_the_outline(http)
            llm.script(Reply.valid(), Reply.valid(), Reply.error(500))
            task = await _ask_outline(http, sid)
    assert task["status"] == "COMPLETED", task
    assert _asked(llm.requests) == ["skeleton", "4", "34", "34", "38", "71"]
    chapters = _chapters(task["result"])
    assert len(chapters) == CHAPTERS
    assert chapters[3]["title"] == "Scripted chapter 4" and chapters[-1]["title"].endswith("100")
    assert float(task["progress"]) == 100
    kept = await _kept(clean_db, sid)
    assert kept == 0, "written into the proposal: the parts are gone"


async def test_the_writers_next_request_resumes_after_the_task_failed(
    settings: Settings, clean_db: asyncpg.Pool
) -> None:
    with FakeLLMServer() as llm:
        config = _config(settings, llm, attempts=1)
        async with agent_stack(config) as server, client(server, config, uuid.uuid4()) as http:
            sid = await _at_the_outline(http)
            llm.script(Reply.valid(), Reply.valid(), Reply.error(500))
            failed = await _ask_outline(http, sid)
            assert failed["status"] == "FAILED", failed
            kept = await _kept(clean_db, sid)
            assert kept == 2  # the acts and the first batch, kept through the failure
            again = await _ask_outline(http, sid)
    assert again["status"] == "COMPLETED", again
    assert _asked(llm.requests) == ["skeleton", "4", "34", "34", "38", "71"]
    assert len(_chapters(again["result"])) == CHAPTERS


async def test_the_offline_writer_outlines_a_long_book_and_it_is_confirmed_whole(
    settings: Settings, clean_db: asyncpg.Pool
) -> None:
    config = stack_settings(settings, llm_offline_stream_seconds=0.0)
    async with agent_stack(config) as server, client(server, config, uuid.uuid4()) as http:
        sid = await _at_the_outline(http)
        payload = {"stage": "PLOT_OUTLINE", "preferences": {"chapters": 300}}
        body = {"command_type": "RequestStageGeneration", "payload": payload}
        reply = await http.post(f"/api/v1/genesis/sessions/{sid}/commands", json=body)
        task = await wait_task(http, str(reply.json()["task_id"]), 60)
        assert task["status"] == "COMPLETED", task
        assert len(_chapters(task["result"])) == 300
        confirm = {
            "command_type": "ConfirmStage",
            "payload": {"stage": "PLOT_OUTLINE", "choice": 0},
        }
        done = await http.post(f"/api/v1/genesis/sessions/{sid}/commands", json=confirm)
        assert done.status_code == 200, done.text
        state = (await http.get(f"/api/v1/genesis/sessions/{sid}/state")).json()
        novel = (await http.get(f"/api/v1/novels/{state['novel_id']}")).json()
    assert novel["target_chapters"] == 300, novel.get("target_chapters")
