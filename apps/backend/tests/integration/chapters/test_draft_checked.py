"""A chapter draft is read against the story memory before the writer sees it (issue 78), end to
end: the API, the relay, the broker, a real agent worker and a scripted OpenAI-compatible model.
A draft that contradicts what the book established (the bible's red hair, a death confirmed in
chapter 1) is asked again once with the contradiction named; a second that still does is shown
with its findings beside it (the API's chapter, the history), never refused; one that no longer
does is shown clean. Confirming the chapter drops the draft's findings (the check's take over)."""

import asyncio
import json
import uuid
from typing import Any

import asyncpg
import httpx
import pytest

from infinite_scribe.settings.settings import Settings
from tests.support.agent_stack import model_stack, wait_task
from tests.support.chapter_api import chapters, novel_command
from tests.support.continuity import NOVELS, finished
from tests.support.fake_llm import FakeLLMServer, Reply

pytestmark = [pytest.mark.kafka, pytest.mark.slow]

BLACK_HAIR = "Mara Quinn's black hair was wet with rain as she climbed to the lamp room."
DIES = "The storm broke at midnight. Ilya Brandt was killed in the storm at Port Sable."
WALKS = 'Morning came grey over the water. "Go," said Ilya, and he opened the door.'


def _chapter_of(llm: FakeLLMServer, *proses: str) -> None:
    """One draft per prose: a beat sheet of one beat, then its prose."""
    for prose in proses:
        llm.script(Reply.text(json.dumps(["Mara at the lighthouse"])), Reply.text(prose))


async def _draft(http: httpx.AsyncClient, novel_id: uuid.UUID, chapter: int) -> dict[str, Any]:
    reply = await novel_command(http, novel_id, "RequestChapterDraft", {"chapter": chapter})
    assert reply.status_code == 202, reply.text
    task = await wait_task(http, reply.json()["task_id"])
    assert task["status"] == "COMPLETED", task
    return task


def _asked_again(llm: FakeLLMServer, code: str) -> None:
    """Four calls: the first draft's two, then the second's, each naming `code`."""
    prompts = [seen.prompt for seen in llm.requests]
    assert len(prompts) == 4, [p[-200:] for p in prompts]
    assert all(code not in prompt for prompt in prompts[:2])
    assert all(code in prompt for prompt in prompts[2:]), prompts[2][-600:]


async def _checked(http: httpx.AsyncClient, novel_id: uuid.UUID, version: int) -> None:
    deadline = asyncio.get_running_loop().time() + 30
    while (await http.get(f"{NOVELS}/{novel_id}/memory")).json()["version"] < version:
        assert asyncio.get_running_loop().time() < deadline, "the chapter was never checked"
        await asyncio.sleep(0.1)


async def test_a_draft_that_contradicts_the_book_is_asked_again_then_shown_with_its_findings(
    settings: Settings, clean_db: asyncpg.Pool
) -> None:
    async with model_stack(settings) as stack:
        llm, http = stack.llm, stack.http
        novel_id = await finished(http)

        # Chapter 1 against the bible (no chapter confirmed yet): red hair said black, then
        # the second draft says nothing of her hair: shown clean.
        _chapter_of(llm, BLACK_HAIR, "Mara Quinn climbed to the lamp room.")
        task = await _draft(http, novel_id, 1)
        _asked_again(llm, "CONTINUITY_TRAIT_CHANGED")
        assert task["result"]["findings"] == 0, task
        first = (await chapters(http, novel_id))[0]
        assert first["text"] == "Mara Quinn climbed to the lamp room."
        assert first["findings"] == []

        confirm = await novel_command(
            http, novel_id, "ConfirmChapter", {"chapter": 1, "text": DIES}
        )
        assert confirm.status_code == 200, confirm.text
        await _checked(http, novel_id, 2)

        # Chapter 2: the dead man acts in both drafts: shown, with the finding beside it.
        llm.reset()
        _chapter_of(llm, WALKS, WALKS)
        task = await _draft(http, novel_id, 2)
        _asked_again(llm, "CONTINUITY_DEAD_ACTS")
        assert task["result"]["findings"] == 1, task
        second = (await chapters(http, novel_id))[1]
        assert second["status"] == "DRAFTED" and second["text"] == WALKS
        [found] = second["findings"]
        assert (found["kind"], found["who"], found["chapter"]) == (
            "dead_character_acts",
            "Ilya Brandt",
            2,
        )
        assert found["quote"] and found["quote"] in WALKS
        [evidence] = found["evidence"]
        assert evidence["chapter"] == 1 and "killed" in evidence["quote"]
        history = (await http.get(f"{NOVELS}/{novel_id}/history")).json()
        [two] = [c for c in history["chapters"] if c["chapter"] == 2]
        assert two["versions"][-1]["content"]["findings"][0]["who"] == "Ilya Brandt"

        # Confirmed as the writer rewrote it: the draft's findings go with the draft.
        rewritten = "Morning came grey over the water. Mara buried the doctor."
        confirm = await novel_command(
            http, novel_id, "ConfirmChapter", {"chapter": 2, "text": rewritten}
        )
        assert confirm.status_code == 200, confirm.text
        assert (await chapters(http, novel_id))[1]["findings"] == []
