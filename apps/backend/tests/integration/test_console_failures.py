# ruff: noqa: RUF001 - Chinese text uses full-width punctuation on purpose
"""A failed generation as the writer sees it (issue 38), over real HTTP with the real agent
worker whose model nobody answers (the OpenAI-compatible provider pointed at a closed port):
the session page says the generation failed and why, in the writer's language, the form comes
back with what they typed, and "try again" sends the same request again."""

import asyncio
import re
import uuid
from html import unescape

import asyncpg
import httpx
import pytest

from infinite_scribe.domain.genesis import (
    CONCEPT_GENERATION_FAILED,
    CONCEPT_GENERATION_REQUESTED,
)
from infinite_scribe.settings.settings import Settings
from tests.support.agent_stack import agent_stack, events_of, stack_settings
from tests.support.console import action, signed_in

pytestmark = [pytest.mark.kafka, pytest.mark.slow]

IDEA = "2150年的火星殖民地，一名女法医发现了一桩不可能的谋杀"
#: A loopback port nobody listens on (the discard port): the model is unreachable.
NOBODY = "http://127.0.0.1:9/v1"


def unreachable_model(settings: Settings) -> Settings:
    return stack_settings(
        settings,
        llm_provider="openai",
        llm_base_url=NOBODY,
        llm_model="nobody",
        llm_max_retries=0,
        worker_generation_attempts=1,
    )


async def failed_panel(
    pool: asyncpg.Pool, client: httpx.AsyncClient, session: str, failures: int
) -> str:
    """The session's panel once `failures` requests have failed."""
    while True:
        events = await events_of(pool, session.rsplit("/", 1)[1])
        if sum(e["event_type"] == CONCEPT_GENERATION_FAILED for e in events) == failures:
            return (await client.get(f"{session}/panel")).text
        await asyncio.sleep(0.1)


def field(panel: str, pattern: str) -> str:
    found = re.search(pattern, panel, re.S)
    assert found is not None, (pattern, panel[:3000])
    return unescape(found.group(1))


async def test_a_failure_is_shown_with_its_reason_and_the_writer_can_try_again(
    settings: Settings, clean_db: asyncpg.Pool
) -> None:
    config = unreachable_model(settings)
    async with (
        agent_stack(config) as server,
        signed_in(server.url, config, uuid.uuid4()) as client,
    ):
        client.headers["Accept-Language"] = "zh-CN,zh;q=0.9"
        started = await client.post("/console/sessions")
        session = started.headers["location"]
        form = {"action_id": action(), "themes": "科幻, 悬疑", "styles": "冷峻", "text": IDEA}
        assert (await client.post(f"{session}/request", data=form)).status_code == 303
        panel = await asyncio.wait_for(failed_panel(clean_db, client, session, 1), 120)
        # The reason, in Chinese, where the writer looks; the code beside it.
        assert "生成失败" in panel and "无法连接到模型" in panel and "LLM_UNAVAILABLE" in panel
        # What they typed is back in the form.
        assert field(panel, r'<textarea id="text"[^>]*>(.*?)</textarea>') == IDEA
        assert field(panel, r'<input id="themes"[^>]*value="([^"]*)"') == "科幻, 悬疑"
        assert field(panel, r'<input id="styles"[^>]*value="([^"]*)"') == "冷峻"
        # "Try again" re-sends the same request.
        again = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', panel))
        assert again["text"] == IDEA
        assert (await client.post(f"{session}/request", data=again)).status_code == 303
        panel = await asyncio.wait_for(failed_panel(clean_db, client, session, 2), 120)
        assert 'id="generation-failed"' in panel
    sid = session.rsplit("/", 1)[1]
    requests = [
        e["payload"]
        for e in await events_of(clean_db, sid)
        if e["event_type"] == CONCEPT_GENERATION_REQUESTED
    ]
    assert len(requests) == 2 and requests[0]["user_input"] == requests[1]["user_input"] == IDEA
    assert requests[0]["theme_preferences"] == requests[1]["theme_preferences"] == ["科幻", "悬疑"]
