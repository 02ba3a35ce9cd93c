"""The console's language (issue 38): the page's switch (`?lang=`, kept in a cookie) wins over
the browser's Accept-Language; the novel page says its title once and its bible's headings,
field names and status in the writer's language."""

import re
import uuid

import httpx
import pytest

from infinite_scribe.settings.settings import Settings
from tests.conftest import LiveServer
from tests.integration.test_novels import finished_novel
from tests.support.console import console, console_settings, signed_in, token, writer

pytestmark = pytest.mark.kafka

__all__ = ["console", "console_settings", "writer"]  # fixtures used below


def heading(page: str) -> str:
    found = re.search(r"<h1>(.*?)</h1>", page)
    assert found is not None, page[:2000]
    return found.group(1)


async def test_the_switch_chooses_the_language_and_keeps_it(writer: httpx.AsyncClient) -> None:
    writer.headers["Accept-Language"] = "en-US,en;q=0.9"
    assert heading((await writer.get("/console/sessions")).text) == "Your Genesis sessions"
    switched = await writer.get("/console/sessions", params={"lang": "zh"})
    assert heading(switched.text) == "你的创世会话" and 'lang="zh"' in switched.text
    cookie = switched.headers["set-cookie"]
    assert cookie.startswith("scribe_lang=zh;") and "Path=/console" in cookie
    # Kept: the next page (a live panel's refresh too) follows the choice, not the browser.
    assert heading((await writer.get("/console/novels")).text) == "你的小说"
    back = await writer.get("/console/novels", params={"lang": "en"})
    assert heading(back.text) == "Your novels"
    # Anything else is not a language: the kept choice stands, nothing is set.
    odd = await writer.get("/console/novels", params={"lang": "<b>"})
    assert heading(odd.text) == "Your novels" and "set-cookie" not in odd.headers


async def test_the_novel_page_in_chinese_says_its_title_once(
    console: LiveServer, console_settings: Settings
) -> None:
    user = uuid.uuid4()
    bearer = {"Authorization": f"Bearer {token(console_settings, user)}"}
    async with httpx.AsyncClient(base_url=console.url, headers=bearer, timeout=30) as api:
        _, novel_id = await finished_novel(api)
    async with signed_in(console.url, console_settings, user) as client:
        client.headers["Accept-Language"] = "zh-CN"
        page = (await client.get(f"/console/novels/{novel_id}")).text
        english = (await client.get(f"/console/novels/{novel_id}?lang=en")).text
        markdown = (await client.get(f"/console/novels/{novel_id}/download/md")).text
    bible = page[page.index('id="novel-bible"') : page.index('id="bible-history"')]
    assert page.count("雾港") == 2  # the page's heading, and its <title>
    for label in ("<h2>故事</h2>", "<h2>世界观</h2>", "<h2>角色</h2>", "主题:", "写作中"):
        assert label in page, label
    shown = re.sub(r"<[^>]*>", " ", page)  # the text, not the markup
    assert bible.count("角色</h2>") == 1
    assert "Characters" not in shown and "GENERATING" not in shown, shown
    assert "创世中" not in shown  # a finished novel is not badged as in Genesis (issue 55)
    assert english.count("<h2>Characters</h2>") == 1 and "<h3>Characters</h3>" not in english
    # The Markdown to keep still has its title.
    assert markdown.startswith("# 雾港\n")


async def test_the_page_says_what_is_happening_in_words(writer: httpx.AsyncClient) -> None:
    """Asked for concepts (no agent runs here, so it stays asked): the banner says what the
    agents are doing, not the internal command, and the panel shows no version number."""
    writer.headers["Accept-Language"] = "zh-CN"
    session = (await writer.post("/console/sessions")).headers["location"]
    form = {"action_id": str(uuid.uuid4()), "text": "雾夜里的信"}
    assert (await writer.post(f"{session}/request", data=form)).status_code == 303
    panel = (await writer.get(f"{session}/panel")).text
    shown = re.sub(r"<[^>]*>", " ", panel)
    assert "智能体正在根据你的创意写候选创意" in shown
    assert 'data-command="RequestConceptGeneration"' in panel
    assert "RequestConceptGeneration" not in shown and "版本" not in shown, shown
    assert "进行中" in shown and "IN_PROGRESS" not in shown
