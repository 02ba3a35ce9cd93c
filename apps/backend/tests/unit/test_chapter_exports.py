"""Issue 39: the Markdown and the EPUB hold every CONFIRMED chapter after the bible, in number
order (EPUB: one XHTML file per chapter, in the spine and the navigation), XML-safe, and still
a book epubcheck takes (tests/integration/chapters/test_epubcheck.py: it runs a Java tool)."""

import asyncio
import io
import zipfile
from xml.etree import ElementTree

import pytest

from infinite_scribe.api.novel_epub import novel_epub
from infinite_scribe.api.novel_markdown import novel_markdown
from infinite_scribe.application.ports.reads import NovelView
from tests.support.chapters import genesis_bible
from tests.support.exports import CHAPTERS, hostile_book, view

OPF = "{http://www.idpf.org/2007/opf}"
XHTML = "{http://www.w3.org/1999/xhtml}"


@pytest.fixture(scope="module")
def novel() -> NovelView:
    return view(asyncio.run(genesis_bible("zh")))


def files(book: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(book)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def test_markdown_has_the_confirmed_chapters_after_the_bible_in_order(novel: NovelView) -> None:
    text = novel_markdown(novel, CHAPTERS)
    bible = novel_markdown(novel)
    assert text.startswith(bible.rstrip("\n"))
    chapters = text[len(bible.rstrip("\n")) :]
    assert chapters.index("\n## 第1章\n") < chapters.index("\n## 第3章\n")
    assert "顾南发现记录被篡改。\n\n她对谁都没说。" in chapters
    assert "陈默劝顾南收手。\n\n顾南没有答应。" in chapters  # a line is a paragraph
    assert "草稿" not in text and "## 第4章" not in chapters


def test_a_chapters_line_cannot_become_a_heading_or_a_fence(novel: NovelView) -> None:
    text = "# Not a heading\n```\nstill prose"
    chapters = [{"number": 1, "title": "", "text": text, "status": "CONFIRMED"}]
    markdown = novel_markdown(novel, chapters)
    assert "\n\\# Not a heading\n" in markdown and "\n\\```\n" in markdown
    assert "\n## Chapter 1\n" in markdown  # no title: its number


def test_epub_has_one_page_per_confirmed_chapter_in_spine_and_navigation(
    novel: NovelView,
) -> None:
    book = files(novel_epub(novel, CHAPTERS))
    assert [name for name in book if "chapter" in name] == [
        "OEBPS/chapter-1.xhtml",
        "OEBPS/chapter-3.xhtml",
    ]
    package = ElementTree.fromstring(book["OEBPS/content.opf"])
    spine = [ref.get("idref") for ref in package.iter(f"{OPF}itemref")]
    assert spine == ["bible", "chapter-1", "chapter-3"]
    manifest = {item.get("id"): item.get("href") for item in package.iter(f"{OPF}item")}
    assert manifest["chapter-3"] == "chapter-3.xhtml"
    nav = ElementTree.fromstring(book["OEBPS/nav.xhtml"])
    links = [(a.get("href"), a.text) for a in nav.iter(f"{XHTML}a")]
    assert links == [
        ("bible.xhtml", novel.title),
        ("chapter-1.xhtml", "第1章"),
        ("chapter-3.xhtml", "第3章"),
    ]
    page = ElementTree.fromstring(book["OEBPS/chapter-1.xhtml"])
    paragraphs = [p.text for p in page.iter(f"{XHTML}p")]
    assert [h.text for h in page.iter(f"{XHTML}h1")] == ["第1章"]
    assert paragraphs == ["顾南发现记录被篡改。", "她对谁都没说。"]
    assert b'xml:lang="zh"' in book["OEBPS/chapter-1.xhtml"]


def test_without_chapters_the_epub_is_the_bible_alone(novel: NovelView) -> None:
    book = files(novel_epub(novel))
    assert not [name for name in book if "chapter" in name]
    spine = ElementTree.fromstring(book["OEBPS/content.opf"]).iter(f"{OPF}itemref")
    assert [ref.get("idref") for ref in spine] == ["bible"]


def test_a_hostile_chapter_is_well_formed_xml_without_remote_images(novel: NovelView) -> None:
    for name, content in files(hostile_book(novel)).items():
        if name.endswith((".xhtml", ".opf", ".xml")):
            ElementTree.fromstring(content)  # raises on what XML 1.0 forbids
            assert b"<img" not in content and b"<b>" not in content, name
    page = files(hostile_book(novel))["OEBPS/chapter-1.xhtml"].decode()
    assert "Formfeed" in page and "evil.example/t.png" in page  # kept, as text
