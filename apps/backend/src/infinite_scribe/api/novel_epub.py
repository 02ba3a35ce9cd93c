"""A novel's bible as an EPUB 3 book, for the writer to keep and read on any reader (issue 29):
`GET /novels/{id}` with `Accept: application/epub+zip`, and the console's download.

The content is the Markdown bible (api/novel_markdown.py) rendered as XHTML, so the EPUB, the
Markdown and the console's page say the same; each confirmed chapter follows it as its own
XHTML file, in the spine and the navigation (issue 39, api/novel_chapters.py). Built with the
standard library's `zipfile`: `mimetype` first and stored (uncompressed), as the OCF container
format requires.
"""

import io
import re
import zipfile
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from html import escape
from typing import Any

from infinite_scribe.api.novel_chapters import (
    ExportedChapter,
    chapter_markdown,
    confirmed_chapters,
)
from infinite_scribe.api.novel_markdown import bible_renderer, novel_markdown
from infinite_scribe.application.ports.reads import NovelView
from infinite_scribe.domain.language import language_of

EPUB = "application/epub+zip"
#: Writer's text is escaped, never rendered as HTML; XHTML output (`<br />`) for EPUB.
_MARKDOWN = bible_renderer(xhtml=True)
#: What XML 1.0 forbids (C0 controls but tab, LF, CR; lone surrogates; U+FFFE, U+FFFF): one
#: such character anywhere and readers refuse the whole book (issue 41, E2).
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def xml_text(text: str) -> str:
    """`text` without the characters XML 1.0 does not allow."""
    return _NOT_XML.sub("", text)


_CONTAINER = """<?xml version="1.0" encoding="UTF-8"?>
<container version="1.0" xmlns="urn:oasis:names:tc:opendocument:xmlns:container">
  <rootfiles>
    <rootfile full-path="OEBPS/content.opf" media-type="application/oebps-package+xml"/>
  </rootfiles>
</container>
"""

_PACKAGE = """<?xml version="1.0" encoding="UTF-8"?>
<package xmlns="http://www.idpf.org/2007/opf" version="3.0" unique-identifier="book-id">
  <metadata xmlns:dc="http://purl.org/dc/elements/1.1/">
    <dc:identifier id="book-id">urn:uuid:{novel_id}</dc:identifier>
    <dc:title>{title}</dc:title>
    <dc:language>{language}</dc:language>
    <meta property="dcterms:modified">{modified}</meta>
  </metadata>
  <manifest>
    <item id="nav" href="nav.xhtml" media-type="application/xhtml+xml" properties="nav"/>
    <item id="bible" href="bible.xhtml" media-type="application/xhtml+xml"/>{items}
  </manifest>
  <spine>
    <itemref idref="bible"/>{itemrefs}
  </spine>
</package>
"""

_PAGE = """<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE html>
<html xmlns="http://www.w3.org/1999/xhtml" xmlns:epub="http://www.idpf.org/2007/ops" \
xml:lang="{language}" lang="{language}">
<head><meta charset="utf-8" /><title>{title}</title></head>
<body>
{body}
</body>
</html>
"""


def _chapter_file(chapter: ExportedChapter) -> str:
    return f"chapter-{chapter.number}.xhtml"


def _chapter_page(chapter: ExportedChapter, language: str) -> str:
    body = _MARKDOWN.render(xml_text("\n".join(chapter_markdown(chapter, 1))))
    title = escape(xml_text(chapter.heading))
    return _PAGE.format(title=title, language=language, body=xml_text(body))


def novel_epub(novel: NovelView, chapters: Sequence[Mapping[str, Any]] = ()) -> bytes:
    """The EPUB file: container, package, navigation, the bible as one XHTML page, then one
    page per CONFIRMED chapter of `chapters` (`number`, `title`, `text`, `status`)."""
    title = escape(xml_text(novel.title))
    book = confirmed_chapters(chapters)
    language = language_of(novel.title, *(c.title + c.text[:200] for c in book))
    bible = xml_text(_MARKDOWN.render(xml_text(novel_markdown(novel))))
    entries = [("bible.xhtml", title)]
    entries += [(_chapter_file(c), escape(xml_text(c.heading))) for c in book]
    links = "".join(f'<li><a href="{href}">{label}</a></li>' for href, label in entries)
    nav = f'<nav epub:type="toc" id="toc"><h1>{title}</h1><ol>{links}</ol></nav>'
    items = "".join(
        f'\n    <item id="chapter-{c.number}" href="{_chapter_file(c)}" '
        'media-type="application/xhtml+xml"/>'
        for c in book
    )
    itemrefs = "".join(f'\n    <itemref idref="chapter-{c.number}"/>' for c in book)
    modified = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    files = {
        "META-INF/container.xml": _CONTAINER,
        "OEBPS/content.opf": _PACKAGE.format(
            novel_id=novel.novel_id,
            title=title,
            language=language,
            modified=modified,
            items=items,
            itemrefs=itemrefs,
        ),
        "OEBPS/nav.xhtml": _PAGE.format(title=title, language=language, body=nav),
        "OEBPS/bible.xhtml": _PAGE.format(title=title, language=language, body=bible),
    }
    files |= {f"OEBPS/{_chapter_file(c)}": _chapter_page(c, language) for c in book}
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(zipfile.ZipInfo("mimetype"), EPUB, compress_type=zipfile.ZIP_STORED)
        for name, text in files.items():
            archive.writestr(name, text, compress_type=zipfile.ZIP_DEFLATED)
    return buffer.getvalue()


def epub_file(novel: NovelView) -> bytes:
    """The novel's EPUB file with every confirmed chapter: an export job's renderer."""
    return novel_epub(novel, novel.chapters)
