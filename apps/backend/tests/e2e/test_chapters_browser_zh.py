# ruff: noqa: RUF001 - Chinese text uses full-width punctuation on purpose
"""Issue 39 in real headless Chromium, in Chinese, with the network cut to loopback: from a
completed Genesis a writer opens the novel's chapters, drafts chapter 1 and watches its text
stream in, revises it with feedback, edits and confirms it, drafts and confirms chapter 2, reads
the chapters' history and downloads the EPUB, whose structure is checked as epubcheck would
(and by epubcheck itself when the machine has it). Real API, outbox, relay, broker and agent
worker (the offline chapter writer). Skips without a browser."""

import asyncio
import base64
import io
import shutil
import subprocess
import uuid
import zipfile
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import asyncpg
import httpx
import pytest

from infinite_scribe.settings.settings import Settings
from tests.e2e.test_console_browser import assert_page_is_whole, sign_in, submit, until, wait
from tests.integration.test_novels import finished_novel
from tests.support.agent_stack import agent_stack, client, stack_settings
from tests.support.browser import MISSING, chromium, screenshot
from tests.support.chapter_api import chapters, novel_command
from tests.support.console import action, signed_in, token

pytestmark = [
    pytest.mark.kafka,
    pytest.mark.slow,
    pytest.mark.timeout(600),
    pytest.mark.skipif(MISSING is not None, reason=MISSING or ""),
]

WISH = "多写灯塔的光"
FEEDBACK = "加入一场沙尘暴"
EDIT = "\n\n尾声：林舟把信折好，放回灯塔的抽屉。"
#: Drafts streamed over this long per chapter, so the text grows on screen in many pieces.
STREAM_SECONDS = 6.0
OPF = "{http://www.idpf.org/2007/opf}"
XHTML = "{http://www.w3.org/1999/xhtml}"
CONTAINER = "{urn:oasis:names:tc:opendocument:xmlns:container}"


def epubcheck() -> list[str] | None:
    """The epubcheck command line, if the machine has one (Debian's is the jar itself)."""
    jar = Path("/usr/bin/epubcheck")
    if shutil.which("java") and jar.exists() and jar.read_bytes()[:2] == b"PK":
        return ["java", "-jar", str(jar)]
    found = shutil.which("epubcheck")
    return [found] if found else None


def shown_text(driver: Any) -> str:
    return str(driver.execute_script("return document.querySelector('main').innerText"))


def chapter(number: int, inner: str = "") -> str:
    return f'li.chapter[data-chapter="{number}"] {inner}'.strip()


def status_of(number: int, status: str) -> str:
    return f'li.chapter[data-chapter="{number}"][data-status="{status}"]'


def refresh_panel(driver: Any) -> None:
    """Render the chapters panel again, as an event on the novel's stream does; return once
    the new panel is in."""
    driver.execute_script(
        "window.panelSwapped = false;"
        "document.body.addEventListener('htmx:afterSwap',"
        " () => { window.panelSwapped = true; }, {once: true});"
        "htmx.trigger('#chapters-panel', 'sse:domain_event');"
    )
    until(driver, lambda d: d.execute_script("return window.panelSwapped"), within=30)


def text_area(driver: Any, number: int) -> str | None:
    """The chapter's text as the panel's confirm form holds it (read live: panels swap)."""
    found: str | None = driver.execute_script(
        "const t = document.querySelector(`[data-chapter-text='${arguments[0]}']`);"
        "return t ? t.value : null",
        number,
    )
    return found


def watch_drafts(driver: Any) -> None:
    """In the watching tab: note every text the drafts box shows, in order, from now on; and
    whether the page's stream is open (drafts sent before it opened are never seen)."""
    driver.execute_script(
        """
        window.__drafts = [];
        window.__open = false;
        document.body.addEventListener("htmx:sseOpen", () => { window.__open = true; });
        const box = document.getElementById("drafts");
        const look = () => {
          const pre = box.querySelector("[data-draft] pre");
          const text = pre ? pre.textContent : "";
          if (text && window.__drafts[window.__drafts.length - 1] !== text) {
            window.__drafts.push(text);
          }
        };
        new MutationObserver(look).observe(box, {subtree: true, childList: true,
                                                 characterData: true});
        """
    )


def seen_drafts(driver: Any) -> list[str]:
    return list(driver.execute_script("return window.__drafts"))


def open_watcher(driver: Any, url: str, writer: str) -> str:
    """A second tab on the chapters page whose stream is open before anything is asked."""
    driver.switch_to.new_window("tab")
    watcher = str(driver.current_window_handle)
    driver.get(url)
    wait(driver, "#drafts")
    watch_drafts(driver)
    # The stream may have opened before the hook was set: a stream that is open now counts.
    until(
        driver,
        lambda d: d.execute_script(
            "const s = htmx.find('[sse-connect]');"
            "const i = s && s['htmx-internal-data'];"
            "return window.__open || !!(i && i.sseEventSource && i.sseEventSource.readyState === 1)"
        ),
    )
    driver.switch_to.window(writer)
    return watcher


def draft(driver: Any, number: int, watcher: str, writer: str, wish: str = "") -> list[str]:
    """Ask for the chapter's draft from the writer's tab; the texts the watching tab showed
    while it was written (the last once the draft landed)."""
    driver.switch_to.window(watcher)
    driver.execute_script("window.__drafts = []")
    driver.switch_to.window(writer)
    if wish:
        driver.execute_script(
            "document.querySelector(arguments[0]).value = arguments[1]",
            chapter(number, 'input[name="wishes"]'),
            wish,
        )
    submit(driver, f'[data-draft-chapter="{number}"]')
    wait(driver, status_of(number, "DRAFTED"), within=180)
    driver.switch_to.window(watcher)
    wait(driver, status_of(number, "DRAFTED"), within=180)
    seen = seen_drafts(driver)
    driver.switch_to.window(writer)
    return seen


def check_chapters_page(driver: Any) -> None:
    """The chapters page in Chinese: three planned chapters, a draft button on each."""
    text = shown_text(driver)
    assert "章节" in text and "返回小说" in text and "章节的历史" in text, text[:500]
    assert "0/3 章已确认" in text, text[:500]
    assert text.count("计划中") == 3 and text.count("草拟本章") == 3, text[:800]
    assert "正在写" in text and "现在没有在写的章节。" in text, text[:800]
    for english in ("Draft this chapter", "planned", "Chapters", "Being written"):
        assert english not in text, english


def walk(driver: Any, url: str, jwt: str, novel_id: str) -> dict[str, Any]:
    sign_in(driver, url, jwt)
    driver.get(f"{url}/console/novels/{novel_id}")
    wait(driver, "#novel-bible")
    submit(driver, "#novel-chapters")  # the novel page links its chapters
    wait(driver, chapter(1))
    check_chapters_page(driver)
    assert_page_is_whole(driver)
    writer = str(driver.current_window_handle)
    watcher = open_watcher(driver, driver.current_url, writer)

    # 1. Chapter 1 drafted: its text streams into the watching tab, growing as it is written.
    streamed = draft(driver, 1, watcher, writer, WISH)
    first = text_area(driver, 1)
    assert first and len(first) > 300, first
    assert streamed, "no draft text was shown while chapter 1 was written"
    assert all(first.startswith(t) for t in streamed), (streamed[:2], first[:200])
    assert len(streamed) >= 2 and len(streamed[0]) < len(first)  # shown before it was done
    assert "林舟" in first and "灯塔" in first
    text = shown_text(driver)
    assert "已起草" in text and "确认本章" in text and "按意见重写" in text and "重新草拟" in text
    screenshot(driver, "chapters-zh")

    # 2. Feedback: a revised draft that takes it in.
    driver.execute_script(
        "document.querySelector(arguments[0]).value = arguments[1]",
        chapter(1, 'input[name="feedback"]'),
        FEEDBACK,
    )
    submit(driver, '[data-feedback-chapter="1"]')
    until(driver, lambda d: text_area(d, 1) not in (None, first), within=180)
    wait(driver, status_of(1, "DRAFTED"), within=180)
    revised = text_area(driver, 1)
    assert revised and revised != first and "沙尘暴" in revised, revised

    # 3. Edited and confirmed. Any event on the novel's stream renders the panel again (a late
    # one failed this walk once: the edit was lost, the chapter confirmed as drafted); one is
    # forced here, and what the writer typed stays.
    driver.execute_script(
        "document.querySelector(arguments[0]).value += arguments[1]",
        "[data-chapter-text='1']",
        EDIT,
    )
    refresh_panel(driver)
    assert text_area(driver, 1) == revised + EDIT
    submit(driver, '[data-confirm-chapter="1"]')
    wait(driver, status_of(1, "CONFIRMED"))
    assert "已确认" in shown_text(driver) and "1/3 章已确认" in shown_text(driver)

    # 4. Chapter 2 drafted (streamed too) and confirmed as written.
    streamed_2 = draft(driver, 2, watcher, writer)
    second = text_area(driver, 2)
    assert second and streamed_2 and all(second.startswith(t) for t in streamed_2)
    submit(driver, '[data-confirm-chapter="2"]')
    wait(driver, status_of(2, "CONFIRMED"))
    assert "2/3 章已确认" in shown_text(driver)
    assert_page_is_whole(driver)

    # 5. The chapters' history, in Chinese: drafts, the revision, both confirmations.
    submit(driver, "#chapters-history")
    wait(driver, "li.version")
    history = shown_text(driver)
    assert "章节的历史" in history and "第1章" in history and "第2章" in history, history[:500]
    by_chapter = driver.execute_script(
        "return [...document.querySelectorAll('ol.versions')].map(o =>"
        " [...o.querySelectorAll('li.version')].map(v => v.dataset.kind))"
    )
    assert by_chapter[0] == ["proposed", "revised", "edited"], by_chapter
    # Chapter 2 was confirmed as written (the textarea's CRLF line breaks are read as LF).
    assert by_chapter[1][:2] == ["proposed", "confirmed"], by_chapter
    assert "修改稿" in history and "改后确认" in history and FEEDBACK in history
    assert_page_is_whole(driver)

    # 6. The book, downloaded from the novel page's link as the browser gets it.
    driver.get(f"{url}/console/novels/{novel_id}")
    href = wait(driver, "#download-epub").get_attribute("href")
    book = download(driver, href)
    return {"book": book, "texts": {1: revised + EDIT, 2: second}}


def download(driver: Any, href: str) -> dict[str, Any]:
    result: dict[str, Any] = driver.execute_async_script(
        """
        const done = arguments[arguments.length - 1];
        fetch(arguments[0]).then(async (r) => {
          const bytes = new Uint8Array(await r.arrayBuffer());
          let binary = "";
          for (let i = 0; i < bytes.length; i += 8192) {
            binary += String.fromCharCode(...bytes.subarray(i, i + 8192));
          }
          done({status: r.status, type: r.headers.get("content-type"), body: btoa(binary)});
        });
        """,
        href,
    )
    return result


def squeezed(text: str) -> str:
    return "".join(text.split())


def check_epub(data: bytes, texts: dict[int, str], tmp_path: Path) -> None:
    """What epubcheck checks of the container and package, and the chapters' content."""
    archive = zipfile.ZipFile(io.BytesIO(data))
    first = archive.infolist()[0]
    assert first.filename == "mimetype" and first.compress_type == zipfile.ZIP_STORED
    assert first.extra == b"" and archive.read("mimetype") == b"application/epub+zip"
    container = ElementTree.fromstring(archive.read("META-INF/container.xml"))
    [rootfile] = container.iter(f"{CONTAINER}rootfile")
    assert rootfile.get("media-type") == "application/oebps-package+xml"
    opf_path = rootfile.get("full-path") or ""
    base = opf_path.rsplit("/", 1)[0] + "/" if "/" in opf_path else ""
    package = ElementTree.fromstring(archive.read(opf_path))
    language = package.find(f"{OPF}metadata/{{http://purl.org/dc/elements/1.1/}}language")
    assert language is not None and language.text == "zh"
    items = {i.get("id"): i for i in package.iter(f"{OPF}item")}
    for item in items.values():  # every manifest entry is in the book
        assert base + (item.get("href") or "") in archive.namelist(), item.attrib
    spine = [items[ref.get("idref")].get("href") for ref in package.iter(f"{OPF}itemref")]
    assert len(spine) == 1 + len(texts), spine  # the bible, then one XHTML per chapter
    assert spine[0] == "bible.xhtml"
    assert all(
        items[r.get("idref")].get("media-type") == "application/xhtml+xml"
        for r in package.iter(f"{OPF}itemref")
    )
    [nav] = [i for i in items.values() if "nav" in (i.get("properties") or "").split()]
    nav_page = ElementTree.fromstring(archive.read(base + (nav.get("href") or "")))
    listed = [a.get("href") for a in nav_page.iter(f"{XHTML}a")]
    assert listed == spine, (listed, spine)
    pages = {}
    for name in archive.namelist():  # every XHTML page is well-formed XML
        if name.endswith(".xhtml"):
            pages[name] = ElementTree.fromstring(archive.read(name))
    for href, (number, text) in zip(spine[1:], sorted(texts.items()), strict=True):
        page = squeezed("".join(pages[base + (href or "")].itertext()))
        assert str(number) in (href or ""), href
        for paragraph in text.split("\n\n"):  # the confirmed text, as confirmed
            assert squeezed(paragraph) in page, (number, paragraph[:80])
    checker = epubcheck()
    if checker is not None:
        book = tmp_path / "novel.epub"
        book.write_bytes(data)
        checked = subprocess.run([*checker, str(book)], capture_output=True, text=True, check=False)
        assert checked.returncode == 0, checked.stdout[-2000:] + checked.stderr[-2000:]


async def test_a_writer_drafts_and_confirms_two_chapters_in_chinese_to_an_epub(
    settings: Settings, clean_db: asyncpg.Pool, tmp_path: Path
) -> None:
    config = stack_settings(settings, llm_offline_stream_seconds=STREAM_SECONDS)
    user = uuid.uuid4()
    async with agent_stack(config) as server, client(server, config, user) as http:
        # Genesis completed over the API (the Chinese Genesis walk in the browser is
        # test_console_browser_zh.py's); the walk starts from its novel.
        _, novel_id = await finished_novel(http)
        jwt = token(config, user)

        def drive() -> dict[str, Any]:
            with chromium(tmp_path / "profile", language="zh-CN") as driver:
                return walk(driver, server.url, jwt, novel_id)

        walked = await asyncio.to_thread(drive)
        read = await chapters(http, novel_id)
    assert [c["status"] for c in read] == ["CONFIRMED", "CONFIRMED", "PLANNED"]
    stored = [c["text"] for c in read[:2]]
    assert stored == [walked["texts"][1], walked["texts"][2]]
    book = walked["book"]
    assert (book["status"], book["type"]) == (200, "application/epub+zip")
    check_epub(base64.b64decode(book["body"]), walked["texts"], tmp_path)


async def _drafted(http: httpx.AsyncClient, novel_id: str, number: int) -> dict[str, Any]:
    """The chapter once its draft has landed (polled: the API is the condition)."""
    deadline = asyncio.get_running_loop().time() + 120
    while True:
        found = (await chapters(http, novel_id))[number - 1]
        if found["status"] == "DRAFTED":
            return found
        assert asyncio.get_running_loop().time() < deadline, found
        await asyncio.sleep(0.1)


async def test_an_unedited_chapter_confirmed_from_a_form_is_not_an_edit(
    settings: Settings, clean_db: asyncpg.Pool
) -> None:
    """A browser submits a textarea's line breaks as CRLF (HTML's form encoding): confirming
    the draft as shown must store the draft's text and count as confirmed, not edited."""
    config = stack_settings(settings)
    user = uuid.uuid4()
    async with agent_stack(config) as server, client(server, config, user) as http:
        _, novel_id = await finished_novel(http)
        asked = await novel_command(http, novel_id, "RequestChapterDraft", {"chapter": 1})
        assert asked.status_code == 202, asked.text
        written = (await _drafted(http, novel_id, 1))["text"]
        assert "\n" in written
        base = f"/console/novels/{novel_id}/chapters"
        async with signed_in(server.url, config, user) as console:
            as_sent = written.replace("\n", "\r\n")  # what Chromium sends for the textarea
            form = {"action_id": action(), "chapter": "1", "text": as_sent}
            confirmed = await console.post(f"{base}/confirm", data=form)
            assert confirmed.status_code == 303, confirmed.text
            history = (await console.get(f"{base}/history")).text
        stored = (await chapters(http, novel_id))[0]
    assert stored["status"] == "CONFIRMED"
    assert 'data-kind="confirmed"' in history and 'data-kind="edited"' not in history
    assert stored["text"] == written
