# ruff: noqa: RUF001 - Chinese text uses full-width punctuation on purpose
"""Issue 39 in real headless Chromium, in Chinese, with the network cut to loopback: from a
completed Genesis a writer opens the novel's chapters, drafts chapter 1 (the text streams in as
the agent writes), edits and confirms it, drafts and confirms chapter 2, and takes away an EPUB
with both chapters after the bible. Real API, outbox, relay, broker and agent worker (the
offline chapter writer). Skips without a browser."""

import asyncio
import io
import uuid
import zipfile
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import asyncpg
import httpx
import pytest

from infinite_scribe.settings.settings import Settings
from tests.e2e.test_console_browser import assert_page_is_whole, sign_in, submit, text_of, wait
from tests.integration.test_novels import finished_novel
from tests.support.agent_stack import agent_stack, stack_settings
from tests.support.browser import MISSING, chromium, screenshot
from tests.support.console import token

pytestmark = [
    pytest.mark.kafka,
    pytest.mark.slow,
    pytest.mark.timeout(400),
    pytest.mark.skipif(MISSING is not None, reason=MISSING or ""),
]

OPF = "{http://www.idpf.org/2007/opf}"
ENDING = "尾声：灯塔又亮了。"


def chapter(number: int, status: str) -> str:
    return f'li.chapter[data-chapter="{number}"][data-status="{status}"]'


def draft_and_confirm(driver: Any, number: int, edit: str = "") -> str:
    """Draft chapter `number` from the page, watch its text stream in, confirm it (with `edit`
    appended); the text confirmed."""
    submit(driver, f'[data-draft-chapter="{number}"]')
    streamed = wait(driver, "#drafts [data-draft] pre")
    assert streamed.text.strip(), "the draft streamed in empty"
    wait(driver, chapter(number, "DRAFTED"))
    box = f'[data-chapter-text="{number}"]'
    text = str(
        driver.execute_script(
            "const box = document.querySelector(arguments[0]);"
            "box.value = box.value + arguments[1]; return box.value",
            box,
            edit,
        )
    )
    submit(driver, f'[data-confirm-chapter="{number}"]')
    wait(driver, chapter(number, "CONFIRMED"))
    return text


def walk(driver: Any, url: str, novel_id: str, jwt: str) -> list[str]:
    sign_in(driver, url, jwt)
    driver.get(f"{url}/console/novels/{novel_id}")
    submit(driver, "#novel-chapters")
    wait(driver, chapter(1, "PLANNED"))
    assert "草拟本章" in (text_of(driver, '[data-draft-chapter="1"]') or "")
    assert_page_is_whole(driver)
    first = draft_and_confirm(driver, 1, "\n" + ENDING)
    screenshot(driver, "chapters-one-confirmed")
    second = draft_and_confirm(driver, 2)
    assert (text_of(driver, chapter(3, "PLANNED") + " [data-chapter-status]") or "") == "计划中"
    submit(driver, "#chapters-history")
    wait(driver, 'li.version[data-kind="edited"]')
    assert_page_is_whole(driver)
    return [first, second]


def check_epub(book: bytes, texts: list[str]) -> None:
    """What epubcheck checks first: the mimetype entry, the container, and every chapter in
    the manifest, the spine and the navigation, after the bible."""
    with zipfile.ZipFile(io.BytesIO(book)) as archive:
        first = archive.infolist()[0]
        assert (first.filename, first.compress_type) == ("mimetype", zipfile.ZIP_STORED)
        assert archive.read("mimetype") == b"application/epub+zip"
        assert b"OEBPS/content.opf" in archive.read("META-INF/container.xml")
        package = ElementTree.fromstring(archive.read("OEBPS/content.opf"))
        nav = archive.read("OEBPS/nav.xhtml").decode()
        pages = [archive.read(f"OEBPS/chapter-{n}.xhtml").decode() for n in (1, 2)]
    spine = [ref.get("idref") for ref in package.iter(f"{OPF}itemref")]
    assert spine == ["bible", "chapter-1", "chapter-2"]
    assert "chapter-1.xhtml" in nav and "chapter-2.xhtml" in nav
    assert ENDING in pages[0]
    for text, page in zip(texts, pages, strict=True):
        assert text.strip().splitlines()[0] in page


async def test_a_writer_drafts_two_chapters_to_an_epub_in_chinese(
    settings: Settings, clean_db: asyncpg.Pool, tmp_path: Path
) -> None:
    config = stack_settings(settings, llm_offline_stream_seconds=2.0)
    user = uuid.uuid4()
    jwt = token(config, user)
    headers = {"Authorization": f"Bearer {jwt}"}
    async with agent_stack(config) as server:
        async with httpx.AsyncClient(base_url=server.url, headers=headers, timeout=30) as api:
            _, novel_id = await finished_novel(api)

        def drive() -> list[str]:
            with chromium(tmp_path / "profile", "zh-CN") as driver:
                return walk(driver, server.url, novel_id, jwt)

        texts = await asyncio.to_thread(drive)
        async with httpx.AsyncClient(base_url=server.url, headers=headers, timeout=30) as api:
            book = await api.get(
                f"/api/v1/novels/{novel_id}", headers={"Accept": "application/epub+zip"}
            )
            novel = (await api.get(f"/api/v1/novels/{novel_id}")).json()
    assert book.status_code == 200
    check_epub(book.content, texts)
    assert [c["status"] for c in novel["chapters"]] == ["CONFIRMED", "CONFIRMED", "PLANNED"]
    assert novel["completed_chapters"] == 2
