"""The console's stop button for a chapter being written (issue 77), over real HTTP with a real
agent worker and the scripted model server: the chapter being drafted shows "stop" (in both
languages) instead of its forms; stopping it lands no draft and frees the chapter; a stop sent
once the draft ended (a second click) shows the page, not an error."""

import asyncio
import json

import asyncpg
import pytest

from infinite_scribe.settings.settings import Settings
from tests.integration.test_novels import finished_novel
from tests.support.agent_stack import model_stack
from tests.support.chapter_api import chapters
from tests.support.console import action, signed_in
from tests.support.fake_llm import Reply

pytestmark = [pytest.mark.kafka, pytest.mark.slow]
ZH = {"Accept-Language": "zh-CN,zh;q=0.9"}


async def test_the_chapter_being_written_is_stopped_from_the_console(
    settings: Settings, clean_db: asyncpg.Pool
) -> None:
    async with model_stack(settings) as stack:
        llm, http = stack.llm, stack.http
        _, novel_id = await finished_novel(http)
        base = f"/console/novels/{novel_id}"
        beats = Reply.text(json.dumps(["A", "B"]))
        llm.script(beats, Reply(content="x" * 400, stream_seconds=60))
        async with signed_in(stack.server.url, stack.settings, stack.user_id) as console:
            drafted = await console.post(
                f"{base}/chapters/draft", data={"action_id": action(), "chapter": "1"}
            )
            assert drafted.status_code == 303
            deadline = asyncio.get_running_loop().time() + 60
            while len(llm.first_tokens) < 2:
                assert asyncio.get_running_loop().time() < deadline, "the prose never streamed"
                await asyncio.sleep(0.05)
            zh = await console.get(f"{base}/chapters/panel", headers=ZH)
            en = await console.get(f"{base}/chapters/panel")
            assert 'data-stop-chapter="1"' in zh.text and "停止写这一章" in zh.text
            assert "Stop writing this chapter" in en.text and "Yes, stop" in en.text
            assert 'data-draft-chapter="1"' not in en.text  # no second draft while writing
            key = action()
            stopped = await console.post(
                f"{base}/chapters/cancel", data={"action_id": key, "chapter": "1"}
            )
            assert stopped.status_code == 303
            assert stopped.headers["location"].endswith("/chapters?chapter_from=1")
            first = (await chapters(http, novel_id))[0]
            assert first["status"] == "PLANNED" and first["text"] is None
            # A second click (a new action): nothing runs any more, the page comes back.
            again = await console.post(
                f"{base}/chapters/cancel", data={"action_id": action(), "chapter": "1"}
            )
            assert again.status_code == 303
            page = await console.get(f"{base}/chapters/panel")
            assert 'data-draft-chapter="1"' in page.text and "data-stop-chapter" not in page.text
        deadline = asyncio.get_running_loop().time() + 30
        while llm.abandoned < 1:  # the worker closed the model's stream
            assert asyncio.get_running_loop().time() < deadline, "the model call went on"
            await asyncio.sleep(0.05)
