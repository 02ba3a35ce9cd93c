"""Issue 71, P8, against a real `scribe up`: the continuity checks waiting when `up` is stopped
(SIGTERM) are not lost. A writer's first check waits on the model (the fake server holds the
review), two more confirmations of the same novel queue behind it; `up` stops, its embedded
broker with it, and starts again on the same data directory: the re-drive publishes the three
confirmations again and each is checked once (the memory at version 4, the dead character's
act found by the rules: the model now fails, and the rules stand)."""

import asyncio
import json
import os
import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import pytest
from aiohttp import web

from tests.support.agent_stack import wait_task
from tests.support.chapter_api import novel_command
from tests.support.continuity import NOVELS, finished
from tests.support.fake_llm import FakeLLMServer, Reply, SeenRequest
from tests.support.scribe_up import ScribeUp, environment

pytestmark = pytest.mark.slow

DIES = "The storm broke at midnight. Ilya was killed in the storm at Port Sable."
WALKS = 'Morning came grey over the water. "Go," said Ilya, and he opened the door.'
REVIEW = "# Continuity check of chapter"
PROSE = ("The harbour woke slowly under a grey sky.", "Somewhere along the quay, a door opened.")
BEATS = ("The harbour wakes", "A door opens")
#: The beat a prose request asks for: the last JSON block (agents/prompts/chapter_prose.md).
_BEAT = re.compile(r"# The beat to write now\s*```json\s*(.+?)\s*```", re.S)


class ReviewHeld(FakeLLMServer):
    """Writes chapters; holds each continuity review (`held`), or refuses it (500)."""

    held = True

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        body = await request.json()
        seen = SeenRequest(request.path, dict(request.headers), body)
        with self._lock:
            self._seen.append(seen)
        if REVIEW in seen.prompt:
            reply = Reply.slow(600) if self.held else Reply.error(500)
        elif seen.body.get("response_format"):  # the chapter's beats, then their prose
            reply = Reply.text(json.dumps(list(BEATS)))
        else:  # each beat its own prose: a chapter saying a sentence twice is refused (guard)
            beat = _BEAT.search(seen.prompt)
            asked = json.loads(beat[1]) if beat else None
            reply = Reply.text(PROSE[BEATS.index(asked) if asked in BEATS else 0])
        return await self._respond(request, seen, reply)


def _env(llm: FakeLLMServer) -> dict[str, str]:
    return {
        "LLM_PROVIDER": "openai",
        "LLM_BASE_URL": llm.base_url,
        "LLM_MODEL": FakeLLMServer.MODEL,
        "LLM_TIMEOUT_SECONDS": "600",
        "LLM_MAX_RETRIES": "0",
        "WORKER_REDRIVE_AFTER_SECONDS": "1",
        "WORKER_REDRIVE_INTERVAL_SECONDS": "1",
    }


@contextmanager
def _client(up: ScribeUp) -> Iterator[httpx.AsyncClient]:
    services = up.wait_healthy()
    headers = {"Authorization": f"Bearer {up.token()}"}
    yield httpx.AsyncClient(base_url=services["api_url"], headers=headers, timeout=30)


async def _confirm(http: httpx.AsyncClient, novel_id: uuid.UUID, chapter: int, text: str) -> None:
    reply = await novel_command(http, novel_id, "RequestChapterDraft", {"chapter": chapter})
    assert reply.status_code == 202, reply.text
    assert (await wait_task(http, reply.json()["task_id"]))["status"] == "COMPLETED"
    payload = {"chapter": chapter, "text": text}
    confirmed = await novel_command(http, novel_id, "ConfirmChapter", payload)
    assert confirmed.status_code == 200, confirmed.text


async def _until(http: httpx.AsyncClient, novel_id: uuid.UUID, within: float) -> dict[str, Any]:
    """The memory and findings once the memory is at version 4, or what they were."""
    deadline = asyncio.get_running_loop().time() + within
    while True:
        memory = (await http.get(f"{NOVELS}/{novel_id}/memory")).json()
        findings = (await http.get(f"{NOVELS}/{novel_id}/findings")).json()["findings"]
        seen = {"version": memory.get("version"), "findings": findings}
        if seen["version"] == 4 or asyncio.get_running_loop().time() > deadline:
            return seen
        await asyncio.sleep(0.5)


async def _before_the_stop(up: ScribeUp, llm: ReviewHeld) -> uuid.UUID:
    with _client(up) as http:
        async with http:
            novel_id = await finished(http)
            await _confirm(http, novel_id, 1, DIES)
            await _confirm(http, novel_id, 2, WALKS)
            await _confirm(http, novel_id, 2, WALKS + " The tide turned.")
            deadline = asyncio.get_running_loop().time() + 60
            while not any(REVIEW in r.prompt for r in llm.requests):
                assert asyncio.get_running_loop().time() < deadline, "no review was asked"
                await asyncio.sleep(0.2)
            memory = (await http.get(f"{NOVELS}/{novel_id}/memory")).json()
            assert memory.get("version", 0) < 4, memory  # the checks wait
    return novel_id


def test_checks_waiting_at_a_stop_are_done_after_the_restart() -> None:
    with ReviewHeld() as llm, ScribeUp(**_env(llm)) as first:
        novel_id = asyncio.run(_before_the_stop(first, llm))
        first.stop()  # SIGTERM: the held review is cancelled, the queued checks dropped
        assert first.process is not None and first.process.returncode is not None
        llm.held = False
        second = ScribeUp(**_env(llm))
        os.rmdir(second.data_dir)
        second.data_dir = first.data_dir
        second.env = environment(
            first.data_dir, **(_env(llm) | {"API_PORT": second.env["API_PORT"]})
        )
        with second:

            async def after() -> dict[str, Any]:
                with _client(second) as http:
                    async with http:
                        return await _until(http, novel_id, 120)

            seen = asyncio.run(after())
            assert seen["version"] == 4, (seen, second.output[-3000:])
            kinds = {(f["kind"], f["chapter"]) for f in seen["findings"]}
            assert ("dead_character_acts", 2) in kinds, seen
