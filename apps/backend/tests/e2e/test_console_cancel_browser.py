"""A writer stops a generation from the page in a real Chromium, in Chinese (issue 38,
decision 4003): while the model streams, the page shows how long it has run and how much it
has written; "停止生成" asks first, then CancelGeneration stops it: the model's connection is
closed, the banner goes, the timeline says so and no proposal lands. Real API, outbox, relay,
broker and agent worker; the model is the fake HTTP server, streaming for a minute."""

import asyncio
import uuid
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from infinite_scribe.settings.settings import Settings
from tests.e2e.test_console_browser import sign_in, submit, text_of, until, wait
from tests.support.agent_stack import agent_stack, stack_settings
from tests.support.browser import MISSING, chromium, console_errors, screenshot
from tests.support.console import token
from tests.support.fake_llm import FakeLLMServer, Reply

IDEA = "一位守灯塔的老人在雾夜里收到来自未来的信"

pytestmark = [
    pytest.mark.kafka,
    pytest.mark.slow,
    pytest.mark.skipif(bool(MISSING), reason=MISSING or ""),
]


def _number(driver: Any, css: str, attribute: str | None = None) -> int:
    value = text_of(driver, css, attribute)
    return int(value) if value and value.isdigit() else -1


def stop_while_streaming(driver: Any, url: str, jwt: str, llm: FakeLLMServer) -> None:
    sign_in(driver, url, jwt)
    submit(driver, "#start-session")
    wait(driver, "#text").send_keys(IDEA)
    submit(driver, "#request-proposal")
    # Progress: what the model wrote so far grows in the drafts column; the clock counts on.
    wait(driver, "[data-draft][data-chars]")
    until(driver, lambda d: _number(d, "[data-draft]", "data-chars") > 0)
    first = _number(driver, "[data-elapsed]")
    until(driver, lambda d: _number(d, "[data-elapsed]") > first)
    assert "字已写出" in (text_of(driver, "[data-draft] small") or "")
    screenshot(driver, "progress-zh")

    # Asks first: the first click only shows the question.
    driver.execute_script("document.querySelector('#cancel-ask').click()")
    wait(driver, "#cancel-generation")
    until(driver, lambda d: d.find_element("css selector", "#cancel-generation").is_displayed())
    assert llm.abandoned == 0
    submit(driver, "#cancel-generation")
    wait(driver, '#panel-state[data-pending="no"] #request-proposal')
    wait(driver, '#timeline li[data-event-type="Genesis.Session.GenerationCancelled"]')
    until(driver, lambda d: not d.find_elements("css selector", "[data-draft]"))
    until(driver, lambda d: llm.abandoned >= 1)
    assert "已取消生成" in (text_of(driver, "#timeline") or "")
    # Stopped, not failed: the page says so and the idea is back in the form.
    wait(driver, "#generation-stopped")
    assert driver.execute_script("return document.querySelector('#text').value") == IDEA
    assert console_errors(driver) == []


async def test_a_writer_stops_a_generation_from_the_page(
    settings: Settings, clean_db: asyncpg.Pool, tmp_path: Path
) -> None:
    with FakeLLMServer(default=Reply.streamed(0.0, 60)) as llm:
        config = stack_settings(
            settings,
            llm_provider="openai",
            llm_base_url=llm.base_url,
            llm_model=FakeLLMServer.MODEL,
            llm_max_retries=0,
        )
        async with agent_stack(config) as server:

            def drive() -> None:
                with chromium(tmp_path / "profile", "zh-CN") as driver:
                    stop_while_streaming(driver, server.url, token(config, uuid.uuid4()), llm)

            await asyncio.to_thread(drive)
        task = await clean_db.fetchval("SELECT status::text FROM async_tasks")
        assert task == "CANCELLED"
        proposals = await clean_db.fetchval(
            "SELECT count(*) FROM domain_events WHERE event_type LIKE '%Proposed'"
        )
        assert proposals == 0 and len(llm.requests) == 1
