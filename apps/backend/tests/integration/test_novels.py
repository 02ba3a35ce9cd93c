# ruff: noqa: RUF001 - Chinese text uses full-width punctuation on purpose
"""The novel as the product of Genesis: stored at finish with every confirmed stage, read as JSON
or as a Markdown bible, listed newest first in cursor pages; owner only."""

import io
import uuid
import zipfile
from html import escape
from typing import Any
from uuid import UUID
from xml.etree import ElementTree

import httpx
import pytest

from infinite_scribe.api.routes.novels import MARKDOWN, preferred
from infinite_scribe.settings.settings import Settings
from tests.conftest import LiveServer, make_token
from tests.support.genesis_client import command, new_session, state

NOVELS = "/api/v1/novels"
BIBLE: dict[str, dict[str, Any]] = {
    "CONCEPT_SELECTION": {
        "title": "雾港",
        "logline": "在一座沉没的城市，守灯人收到一封来自明年的信。",
        "themes": ["科幻", "悬疑"],
        "tone": "快节奏、第一人称",
    },
    "STORY_CONCEPTION": {
        "premise": "守灯人收到一封来自明年的信。",
        "synopsis": "起初只是一件私事。",
        "conflicts": ["守灯人与秘密的守护者"],
    },
    "WORLDVIEW": {
        "setting": "潮水之下的城市",
        "rules": ["每一个承诺都会被记录"],
        "locations": [{"name": "灯塔", "description": "最后的光"}],
    },
    "CHARACTERS": {
        "characters": [{"name": "林舟", "role": "主角", "description": "守灯人", "arc": "放下"}],
        "relationships": ["林舟欠苏晚一笔人情债"],
    },
    "PLOT_OUTLINE": {
        "acts": [
            {
                "title": "第1幕：开端",
                "summary": "信",
                "chapters": [
                    {"title": "第1章", "summary": "来信"},
                    {"title": "第2章", "summary": "寻人"},
                ],
            },
            {
                "title": "第2幕：结局",
                "summary": "真相",
                "chapters": [{"title": "第3章", "summary": "归来"}],
            },
        ]
    },
}


async def finished_novel(http: httpx.AsyncClient) -> tuple[UUID, str]:
    session_id = await new_session(http)
    for stage, data in BIBLE.items():
        reply = await command(http, session_id, "ConfirmStage", {"stage": stage, "data": data})
        assert reply.status_code == 200, reply.text
    novel_id = (await state(http, session_id))["novel_id"]
    assert novel_id is not None
    return session_id, novel_id


async def test_the_novel_carries_every_confirmed_stage(http: httpx.AsyncClient) -> None:
    session_id, novel_id = await finished_novel(http)
    response = await http.get(f"{NOVELS}/{novel_id}")
    assert response.status_code == 200 and response.headers["content-type"] == "application/json"
    novel = response.json()
    assert novel["novel_id"] == novel_id and novel["genesis_session_id"] == str(session_id)
    assert (novel["title"], novel["logline"]) == ("雾港", BIBLE["CONCEPT_SELECTION"]["logline"])
    assert (novel["theme"], novel["writing_style"]) == ("科幻, 悬疑", "快节奏、第一人称")
    assert novel["target_chapters"] == 3
    assert novel["story"] == BIBLE["STORY_CONCEPTION"]
    assert novel["worldview"] == BIBLE["WORLDVIEW"]
    assert novel["characters"] == BIBLE["CHARACTERS"]
    assert novel["outline"] == BIBLE["PLOT_OUTLINE"]
    assert "created_at" in novel


async def test_the_markdown_bible_has_every_stage(http: httpx.AsyncClient) -> None:
    _, novel_id = await finished_novel(http)
    response = await http.get(f"{NOVELS}/{novel_id}", headers={"Accept": "text/markdown"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/markdown")
    text = response.text
    assert text.startswith("# 雾港\n")
    # A Chinese book's headings in Chinese (issue 55).
    for heading in ("## 故事", "## 世界观", "## 角色", "## 情节大纲"):
        assert heading in text
    for stage in BIBLE.values():
        for value in _leaves(stage):
            assert value in text, value
    # JSON stays the default, and wins a tie.
    both = await http.get(
        f"{NOVELS}/{novel_id}", headers={"Accept": "text/markdown, application/json"}
    )
    assert both.headers["content-type"] == "application/json"


async def test_the_epub_is_a_valid_book_with_every_stage(http: httpx.AsyncClient) -> None:
    """Issue 29: an EPUB 3 container (mimetype first and stored, container, package, nav)
    whose page carries every confirmed value; its XHTML parses as XML."""
    _, novel_id = await finished_novel(http)
    response = await http.get(f"{NOVELS}/{novel_id}", headers={"Accept": "application/epub+zip"})
    assert (
        response.status_code == 200 and response.headers["content-type"] == "application/epub+zip"
    )
    book = zipfile.ZipFile(io.BytesIO(response.content))
    first = book.infolist()[0]
    assert (first.filename, first.compress_type) == ("mimetype", zipfile.ZIP_STORED)
    assert book.read("mimetype") == b"application/epub+zip"
    assert {"META-INF/container.xml", "OEBPS/content.opf", "OEBPS/nav.xhtml"} <= set(
        book.namelist()
    )
    page = book.read("OEBPS/bible.xhtml").decode()
    for name in ("OEBPS/content.opf", "OEBPS/nav.xhtml", "OEBPS/bible.xhtml"):
        ElementTree.fromstring(book.read(name))  # well-formed XML, as EPUB readers demand
    assert "<dc:title>雾港</dc:title>" in book.read("OEBPS/content.opf").decode()
    for stage in BIBLE.values():
        for value in _leaves(stage):
            assert escape(value, quote=False) in page, value


def _leaves(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [leaf for item in value.values() for leaf in _leaves(item)]
    return [leaf for item in value for leaf in _leaves(item)]


async def test_the_writers_novels_newest_first_in_cursor_pages(
    http: httpx.AsyncClient, live_server: LiveServer, settings: Settings
) -> None:
    made = [(await finished_novel(http))[1] for _ in range(3)]
    first = (await http.get(NOVELS, params={"limit": 2})).json()
    assert first["next_cursor"] is not None
    second = (await http.get(NOVELS, params={"limit": 2, "cursor": first["next_cursor"]})).json()
    assert second["next_cursor"] is None
    listed = [item["novel_id"] for item in first["novels"] + second["novels"]]
    assert listed == list(reversed(made))
    assert first["novels"][0]["target_chapters"] == 3 and "outline" not in first["novels"][0]
    forged = await http.get(NOVELS, params={"cursor": "nope"})
    assert forged.status_code == 422 and forged.json()["error_code"] == "INVALID_CURSOR"
    headers = {"Authorization": f"Bearer {make_token(settings, uuid.uuid4())}"}
    async with httpx.AsyncClient(base_url=live_server.url, headers=headers) as stranger:
        assert (await stranger.get(NOVELS)).json() == {"novels": [], "next_cursor": None}
        theirs = await stranger.get(f"{NOVELS}/{made[0]}", headers={"Accept": "text/markdown"})
    assert theirs.status_code == 404 and theirs.json()["error_code"] == "NOT_FOUND"


@pytest.mark.parametrize(
    ("accept", "markdown"),
    [
        (None, False),
        ("*/*", False),
        ("text/markdown", True),
        ("text/markdown;q=0.9, application/json;q=0.5", True),
        ("text/markdown;q=0.5, application/json", False),
        ("text/markdown;q=0", False),
        ("text/markdown;q=oops", False),
        ("application/epub+zip", False),
    ],
)
def test_accept_negotiation(accept: str | None, markdown: bool) -> None:
    assert (preferred(accept) == MARKDOWN) is markdown


@pytest.mark.parametrize(
    ("accept", "media"),
    [
        ("application/epub+zip", "application/epub+zip"),
        ("application/epub+zip;q=0.4, text/markdown;q=0.5", "text/markdown"),
        ("application/epub+zip, application/json", "application/json"),
        ("application/epub+zip;q=0", "application/json"),
    ],
)
def test_epub_negotiation(accept: str, media: str) -> None:
    assert preferred(accept) == media
