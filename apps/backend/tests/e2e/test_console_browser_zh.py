"""A writer walks Genesis in Chinese in a real Chromium (issue 29): the console follows the
browser's language, the concepts use the writer's idea, a round of feedback visibly changes
them, no raw JSON is ever shown, every later stage is confirmed from its cards, and the novel is
downloaded as an EPUB. Real API, outbox, relay, broker and agent worker (the offline
generator, the default everyone sees first)."""

import asyncio
import uuid
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from infinite_scribe.settings.settings import Settings
from tests.e2e.test_console_browser import (
    LATER_STAGES,
    sign_in,
    submit,
    text_of,
    until,
    wait,
    wait_count,
)
from tests.integration.test_console_failures import unreachable_model
from tests.support.agent_stack import agent_stack, stack_settings
from tests.support.browser import MISSING, chromium, console_errors, screenshot
from tests.support.console import token

pytestmark = [
    pytest.mark.kafka,
    pytest.mark.slow,
    pytest.mark.skipif(bool(MISSING), reason=MISSING or ""),
]

IDEA = "一位守灯塔的老人在雾夜里收到来自未来的信"
PROPOSALS = '#timeline li[data-event-type$="Proposed"]'


def shown_text(driver: Any) -> str:
    return str(driver.execute_script("return document.querySelector('main').innerText"))


def no_raw_json(driver: Any) -> None:
    text = shown_text(driver)
    assert '{"' not in text and '":' not in text, text[:500]


def download(driver: Any, path: str) -> dict[str, Any]:
    """What the browser gets for a download link (status, type, the file's first bytes)."""
    result: dict[str, Any] = driver.execute_async_script(
        """
        const done = arguments[arguments.length - 1];
        fetch(arguments[0]).then(async (r) => {
          const bytes = new Uint8Array(await r.arrayBuffer());
          done({status: r.status, type: r.headers.get("content-type"),
                head: String.fromCharCode(...bytes.slice(0, 2)), size: bytes.length});
        });
        """,
        path,
    )
    return result


def walk_in_chinese(driver: Any, url: str, jwt: str) -> dict[str, Any]:
    sign_in(driver, url, jwt)
    submit(driver, "#start-session")
    wait(driver, "#themes").send_keys("奇幻, 悬疑")
    wait(driver, "#text").send_keys(IDEA)
    submit(driver, "#request-proposal")
    wait(driver, "#confirm-stage")
    wait_count(driver, PROPOSALS, 1)
    first = shown_text(driver)
    assert "灯塔" in first and "会话已开始" in first  # the idea is used; the timeline in Chinese
    assert "创世会话" in first and "对这个方案的反馈" in first and "Proposal" not in first
    no_raw_json(driver)
    screenshot(driver, "session-zh")
    wait(driver, "#feedback").send_keys("更黑暗一些")
    submit(driver, "#send-feedback")
    wait_count(driver, PROPOSALS, 2)
    until(driver, lambda d: "阴郁" in shown_text(d))  # the revision took the darker tone
    no_raw_json(driver)
    submit(driver, "#confirm-stage")
    for stage in LATER_STAGES:
        wait(driver, f'#panel-state[data-stage="{stage}"] #request-proposal')
        submit(driver, "#request-proposal")
        wait(driver, f'#panel-state[data-stage="{stage}"][data-pending="no"] [data-stage-cards]')
        no_raw_json(driver)
        # The proposal landed: its draft is gone (also one that arrived after it).
        until(
            driver,
            lambda d: (
                d.execute_script("return document.querySelectorAll('[data-draft]').length") == 0
            ),
        )
        if stage == "CHARACTERS":
            screenshot(driver, "cards-zh")
        submit(driver, "#confirm-stage")
    submit(driver, "#novel-link")
    bible = wait(driver, "#novel-bible").text
    wait(driver, "#bible-history")
    screenshot(driver, "novel-zh")
    novel_id = driver.execute_script("return document.querySelector('[data-novel]').dataset.novel")
    epub = download(driver, f"/console/novels/{novel_id}/download/epub")
    return {"bible": bible, "epub": epub, "errors": console_errors(driver)}


async def test_a_writer_walks_genesis_in_chinese_to_an_epub(
    settings: Settings, clean_db: asyncpg.Pool, tmp_path: Path
) -> None:
    config = stack_settings(settings)
    async with agent_stack(config) as server:

        def drive() -> dict[str, Any]:
            with chromium(tmp_path / "profile", language="zh-CN") as driver:
                return walk_in_chinese(driver, server.url, token(config, uuid.uuid4()))

        walked = await asyncio.to_thread(drive)
    assert "灯塔" in walked["bible"]
    epub = walked["epub"]
    assert (epub["status"], epub["type"], epub["head"]) == (200, "application/epub+zip", "PK")
    assert epub["size"] > 1000
    assert walked["errors"] == []


def fail_in_chinese(driver: Any, url: str, jwt: str) -> dict[str, Any]:
    """The writer asks for concepts while the model is unreachable, then tries again."""
    sign_in(driver, url, jwt)
    submit(driver, "#start-session")
    wait(driver, "#text").send_keys(IDEA)
    submit(driver, "#request-proposal")
    failed = wait(driver, '#panel-state[data-pending="no"] #generation-failed')
    shown = {"reason": failed.text, "typed": text_of(driver, "#text")}
    screenshot(driver, "failure-zh")
    submit(driver, "#try-again")
    wait(driver, '#panel-state[data-pending="no"] #generation-failed')
    shown["again"] = text_of(driver, "#text")
    wait_count(driver, '#timeline li[data-event-type$="Failed"]', 2)
    shown["errors"] = console_errors(driver)
    return shown


async def test_a_writer_sees_why_a_generation_failed_and_keeps_the_idea(
    settings: Settings, clean_db: asyncpg.Pool, tmp_path: Path
) -> None:
    config = unreachable_model(settings)
    async with agent_stack(config) as server:

        def drive() -> dict[str, Any]:
            with chromium(tmp_path / "profile", language="zh-CN") as driver:
                return fail_in_chinese(driver, server.url, token(config, uuid.uuid4()))

        shown = await asyncio.to_thread(drive)
    assert "生成失败" in shown["reason"] and "无法连接到模型" in shown["reason"], shown
    assert "LLM_UNAVAILABLE" in shown["reason"]
    assert shown["typed"] == shown["again"] == IDEA
    assert shown["errors"] == []
