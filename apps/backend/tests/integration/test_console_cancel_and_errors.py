"""The console's cancel and error page (issue 38, decision 4003): a running generation shows
how long it has run and a stop that asks first; stopping it cancels the request (its task
CANCELLED, the timeline says so); the error page speaks the writer's language."""

import re
import uuid

import asyncpg
import httpx
import pytest

from tests.support.console import console, console_settings, writer

pytestmark = pytest.mark.kafka

__all__ = ["console", "console_settings", "writer"]  # fixtures used below


def shown(page: str) -> str:
    """The page's visible words (tags, and the folded details, left out)."""
    page = re.sub(r"<details>.*?</details>", " ", page, flags=re.S)
    return re.sub(r"<[^>]*>", " ", page)


async def test_a_running_generation_can_be_stopped_from_the_page(
    writer: httpx.AsyncClient, clean_db: asyncpg.Pool
) -> None:
    writer.headers["Accept-Language"] = "zh-CN"
    session = (await writer.post("/console/sessions")).headers["location"]
    form = {"action_id": str(uuid.uuid4()), "text": "雾夜里的信"}
    assert (await writer.post(f"{session}/request", data=form)).status_code == 303
    panel = (await writer.get(f"{session}/panel")).text
    assert 'id="cancel-ask"' in panel and "停止生成" in panel
    assert re.search(r'data-elapsed="\d+"', panel) and "已等待" in shown(panel)

    stop = {"action_id": str(uuid.uuid4())}
    cross = await writer.post(f"{session}/cancel", data=stop, headers={"Origin": "http://evil"})
    assert cross.status_code == 403
    assert (await writer.get(f"{session}/panel")).text.count('data-pending="yes"') == 1

    stopped = await writer.post(f"{session}/cancel", data=stop)
    assert stopped.status_code == 303
    panel = (await writer.get(f"{session}/panel")).text
    assert 'data-pending="no"' in panel and "cancel-ask" not in panel
    # Stopped, not failed: said so, and what the writer typed is back in the form.
    assert 'id="generation-stopped"' in panel and "你停止了这次生成" in panel
    assert (
        "生成失败" not in panel and "雾夜里的信</textarea>" in panel and 'id="try-again"' in panel
    )
    assert "已取消生成" in (await writer.get(f"{session}/timeline")).text
    status = await clean_db.fetchval("SELECT status::text FROM async_tasks")
    assert status == "CANCELLED"
    # Sent again (a double submit, or the generation ended meanwhile): the page, no error.
    again = await writer.post(f"{session}/cancel", data={"action_id": str(uuid.uuid4())})
    assert again.status_code == 303 and again.headers["location"] == session
    assert (
        await clean_db.fetchval(
            "SELECT count(*) FROM domain_events WHERE event_type = $1",
            "Genesis.Session.GenerationCancelled",
        )
        == 1
    )


async def test_the_error_page_speaks_the_writers_language(writer: httpx.AsyncClient) -> None:
    missing = f"/console/sessions/{uuid.uuid4()}"
    writer.headers["Accept-Language"] = "zh-CN,zh;q=0.9"
    page = await writer.get(missing)
    assert page.status_code == 404 and 'data-error="NOT_FOUND"' in page.text
    words = shown(page.text)
    assert "找不到" in words and "这个页面、会话或小说不存在" in words and "返回控制台" in words
    assert not re.search(r"[A-Za-z]{4,}", re.sub(r"&\w+;|InfiniteScribe|English", "", words)), words
    assert "Genesis session not found" in page.text  # the server's message, folded away

    english = await writer.get(missing, params={"lang": "en"})
    assert "Not found" in shown(english.text) and "找不到" not in english.text
    bad = await writer.post(f"{missing}/cancel", data={"action_id": "x"}, params={"lang": "zh"})
    assert bad.status_code == 422 and "表单里有内容不正确" in shown(bad.text)
