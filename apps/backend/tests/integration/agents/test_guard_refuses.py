"""Issue 76: none of the bad answers a real model gave reaches the writer. A scripted
OpenAI-compatible server answers as SmolLM2 did (three identical concepts, a genre
"...seven eyes 24-", a world whose history is `{{`, an outline of one chapter summarised
"4.7", seven chapters where three were asked); each is asked again once with the failed checks
named in the prompt, then the task FAILS with PROPOSAL_REFUSED and a reason naming the checks;
the session stays usable (the next request gets a proposal). A model's revision note is the
one computed from the diff."""

import json
import uuid
from typing import Any

import asyncpg
import httpx
import pytest
from aiohttp import web

from infinite_scribe.settings.settings import Settings
from tests.support.agent_stack import agent_stack, client, stack_settings, wait_task
from tests.support.fake_llm import FakeLLMServer, Reply, SeenRequest

pytestmark = [pytest.mark.kafka, pytest.mark.slow]

SAME = {"title": "The Mystery", "logline": "A mystery happens.", "themes": ["mystery"]}
CONCEPTS = {"concepts": [SAME | {"genre": "...seven eyes 24-"}, SAME, SAME]}
WORLD = {
    "setting": "A harbour town at the edge of the map.",
    "rules": ["Debts pass to the children."],
    "locations": [{"name": "Leith", "description": "The harbour."}],
    "history": "{{",
}


def _outline(count: int, summary: str, hero: str = "Isobel") -> dict[str, Any]:
    chapters = [
        {"title": f"Chapter {n}", "summary": summary or f"{hero} acts, part {n}."}
        for n in range(1, count + 1)
    ]
    return {
        "acts": [{"title": "Act one", "summary": f"{hero} runs out of time.", "chapters": chapters}]
    }


class StagedLLM(FakeLLMServer):
    """The fake server answering a stage's requests from its own queue (then as usual)."""

    def __init__(self) -> None:
        super().__init__()
        self.by_stage: dict[str, list[Reply]] = {}

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        seen = SeenRequest(request.path, dict(request.headers), await request.json())
        queue = self.by_stage.get(seen.stage.value if seen.stage else "", [])
        if not queue:
            return await super()._handle(request)
        with self._lock:
            self._seen.append(seen)
        return await self._respond(request, seen, queue.pop(0))


def _json(data: dict[str, Any]) -> Reply:
    return Reply.text(json.dumps(data))


async def _ask(http: httpx.AsyncClient, sid: str, body: dict[str, Any]) -> dict[str, Any]:
    reply = await http.post(f"/api/v1/genesis/sessions/{sid}/commands", json=body)
    assert reply.status_code == 202, reply.text
    return await wait_task(http, reply.json()["task_id"], 60)


async def _confirm(http: httpx.AsyncClient, sid: str, stage: str, data: dict[str, Any]) -> None:
    body = {"command_type": "ConfirmStage", "payload": {"stage": stage, "data": data}}
    reply = await http.post(f"/api/v1/genesis/sessions/{sid}/commands", json=body)
    assert reply.status_code == 200, reply.text


def _refused(task: dict[str, Any], *codes: str) -> None:
    assert task["status"] == "FAILED", task
    assert task["error"]["code"] == "PROPOSAL_REFUSED", task["error"]
    assert task["result"] is None
    message = task["error"]["message"]
    assert message.startswith("The proposal was not shown"), message
    assert all(f"[{code}]" in message for code in codes), message


def _retried_with(llm: StagedLLM, stage: str, *codes: str) -> None:
    """The stage was asked twice, the second time with the failed checks named."""
    asked = [seen for seen in llm.requests if seen.stage and seen.stage.value == stage]
    assert len(asked) >= 2, [seen.stage for seen in llm.requests]
    first, second = asked[-2], asked[-1]
    assert "previous answer was refused" not in first.prompt
    assert "previous answer was refused" in second.prompt
    assert all(code in second.prompt for code in codes), second.prompt[-800:]


async def test_a_models_bad_answers_never_reach_the_writer(
    settings: Settings, clean_db: asyncpg.Pool
) -> None:
    with StagedLLM() as llm:
        config = stack_settings(
            settings,
            llm_provider="openai",
            llm_base_url=llm.base_url,
            llm_model=FakeLLMServer.MODEL,
            llm_timeout_seconds=10.0,
            llm_max_retries=0,
            worker_generation_attempts=2,
        )
        async with agent_stack(config) as server, client(server, config, uuid.uuid4()) as http:
            sid = (await http.post("/api/v1/genesis/sessions")).json()["session_id"]
            concept = {
                "command_type": "RequestConceptGeneration",
                "payload": {"user_input": "Isobel, a pawnbroker's apprentice in Leith."},
            }

            llm.by_stage["CONCEPT_SELECTION"] = [_json(CONCEPTS), _json(CONCEPTS)]
            _refused(await _ask(http, sid, concept), "GUARD_REPEATED_OPTIONS", "GUARD_JUNK_TEXT")
            _retried_with(llm, "CONCEPT_SELECTION", "GUARD_REPEATED_OPTIONS")
            state = (await http.get(f"/api/v1/genesis/sessions/{sid}/state")).json()
            assert state["is_pending"] is False and state["last_result"] is None, state

            task = await _ask(http, sid, concept)  # usable: the next request is answered
            assert task["status"] == "COMPLETED", task
            await _confirm(http, sid, "CONCEPT_SELECTION", task["result"]["concepts"][0])
            story = await _ask(
                http,
                sid,
                {
                    "command_type": "RequestStageGeneration",
                    "payload": {"stage": "STORY_CONCEPTION"},
                },
            )
            await _confirm(http, sid, "STORY_CONCEPTION", story["result"])

            world = {"command_type": "RequestStageGeneration", "payload": {"stage": "WORLDVIEW"}}
            llm.by_stage["WORLDVIEW"] = [_json(WORLD), _json(WORLD)]
            _refused(await _ask(http, sid, world), "GUARD_JUNK_TEXT")
            _retried_with(llm, "WORLDVIEW", "GUARD_JUNK_TEXT")
            llm.by_stage["WORLDVIEW"] = [_json(WORLD | {"history": "Leith burned in 1544."})]
            task = await _ask(http, sid, world)
            assert task["status"] == "COMPLETED" and task["result"]["history"], task

            # A model's revision note is computed from the diff, whatever the model says.
            llm.by_stage["WORLDVIEW"] = [
                _json(
                    WORLD
                    | {"history": "Leith flooded in 1600.", "revision_note": "I changed nothing."}
                )
            ]
            feedback = {"command_type": "SubmitFeedback", "payload": {"feedback": "a flood"}}
            revised = await _ask(http, sid, feedback)
            assert revised["status"] == "COMPLETED", revised
            assert revised["result"]["revision_note"].startswith("Changed: history"), revised
            await _confirm(http, sid, "WORLDVIEW", revised["result"])
            cast = await _ask(
                http,
                sid,
                {"command_type": "RequestStageGeneration", "payload": {"stage": "CHARACTERS"}},
            )
            await _confirm(http, sid, "CHARACTERS", cast["result"])

            outline = {
                "command_type": "RequestStageGeneration",
                "payload": {"stage": "PLOT_OUTLINE", "preferences": {"chapters": 3}},
            }
            llm.by_stage["PLOT_OUTLINE"] = [_json(_outline(1, "4.7")), _json(_outline(7, ""))]
            _refused(await _ask(http, sid, outline), "GUARD_WRONG_COUNT")
            _retried_with(llm, "PLOT_OUTLINE", "GUARD_JUNK_TEXT", "GUARD_WRONG_COUNT")
            # The confirmed cast's hero is the codex's now (a confirmed stage extends it).
            hero = cast["result"]["characters"][0]["name"]
            llm.by_stage["PLOT_OUTLINE"] = [_json(_outline(3, "", hero))]
            task = await _ask(http, sid, outline)
            assert task["status"] == "COMPLETED", task
            chapters = task["result"]["acts"][0]["chapters"]
            assert len(chapters) == 3
