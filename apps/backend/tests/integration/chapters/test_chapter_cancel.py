"""A chapter's draft stopped by the writer (issue 77), end to end with a real agent worker and
the scripted model server: CancelGeneration on the novel answers 200, the worker closes the
model's stream, the task is CANCELLED, the live stream shows `Novel.Chapter.DraftCancelled`,
no draft lands and the chapter can be asked again; with nothing running it is 409 and changes
nothing. A draft that runs to its end records the prompt tokens the server reused (its prefix
cache) in its provenance: consecutive calls of a chapter share their prompt's start."""

import asyncio
import json

import asyncpg
import pytest

from infinite_scribe.domain.chapters import DRAFT_CANCELLED, DRAFT_PROPOSED
from infinite_scribe.settings.settings import Settings
from tests.integration.test_novels import finished_novel
from tests.support.agent_stack import model_stack, wait_task
from tests.support.chapter_api import NOVELS, chapters, novel_command
from tests.support.fake_llm import Reply
from tests.support.sse_client import open_stream

pytestmark = [pytest.mark.kafka, pytest.mark.slow]

BEATS = ["Mara lights the lamp", "Mara reads the letter"]


async def _until(check, seconds: float) -> None:  # type: ignore[no-untyped-def]
    deadline = asyncio.get_running_loop().time() + seconds
    while not await check():
        assert asyncio.get_running_loop().time() < deadline, "timed out"
        await asyncio.sleep(0.05)


async def test_a_chapter_draft_is_cancelled_mid_stream_and_lands_nothing(
    settings: Settings, clean_db: asyncpg.Pool
) -> None:
    async with model_stack(settings) as stack:
        llm, http = stack.llm, stack.http
        _, novel_id = await finished_novel(http)
        idle = await novel_command(http, novel_id, "CancelGeneration", {})
        assert idle.status_code == 409, idle.text
        assert idle.json()["error_code"] == "NO_GENERATION_RUNNING"
        # The beats at once, then a beat's prose streamed over a minute: cancelled mid-stream.
        llm.script(Reply.text(json.dumps(BEATS)), Reply(content="x" * 400, stream_seconds=60))
        async with open_stream(http, novel_id) as stream:
            reply = await novel_command(http, novel_id, "RequestChapterDraft", {"chapter": 1})
            assert reply.status_code == 202, reply.text
            task_id = reply.json()["task_id"]

            async def streaming() -> bool:
                return len(llm.first_tokens) >= 2

            await _until(streaming, 60)
            cancel = await novel_command(http, novel_id, "CancelGeneration", {"reason": "stop"})
            assert cancel.status_code == 200, cancel.text

            async def closed() -> bool:
                return llm.abandoned >= 1

            await _until(closed, 30)
            seen = []
            while DRAFT_CANCELLED not in seen:
                sse = await stream.next(within=30)
                if sse.event == "domain_event":
                    seen.append(json.loads(sse.data)["event_type"])
        assert llm.in_flight == 0
        task = (await http.get(f"/api/v1/tasks/{task_id}")).json()
        assert task["status"] == "CANCELLED", task
        await asyncio.sleep(1.5)  # a draft would land within the relay's next rounds: none does
        assert DRAFT_PROPOSED not in seen
        first = (await chapters(http, novel_id))[0]
        assert (first["status"], first["text"]) == ("PLANNED", None)
        assert len(llm.requests) == 2  # not asked again (no retry, no re-drive)

        # Asked again, it runs to its end; its provenance says what the server reused.
        llm.reset()
        llm.script(Reply.text(json.dumps(BEATS)), Reply.text("One."), Reply.text("Two."))
        again = await novel_command(http, novel_id, "RequestChapterDraft", {"chapter": 1})
        assert again.status_code == 202, again.text
        assert (await wait_task(http, again.json()["task_id"]))["status"] == "COMPLETED"
        history = (await http.get(f"{NOVELS}/{novel_id}/history")).json()
        provenance = history["chapters"][0]["versions"][-1]["provenance"]
        prompts = [seen.prompt for seen in llm.requests]
        # The later calls reuse at least the whole book's context of the first.
        assert provenance["tokens_cached"] >= 2 * prompts[0].index("# Chapter 1: the beats")
        assert (
            provenance["tokens_evaluated"] == provenance["tokens_in"] - provenance["tokens_cached"]
        )
