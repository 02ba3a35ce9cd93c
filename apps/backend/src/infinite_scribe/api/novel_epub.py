"""A novel's bible as an EPUB 3 book, for the writer to keep and read on any reader (issue 29):
`GET /novels/{id}` with `Accept: application/epub+zip`, and the console's download.

The content is the Markdown bible (api/novel_markdown.py) rendered as XHTML, so the EPUB, the
Markdown and the console's page say the same. Built with the standard library's `zipfile`:
`mimetype` first and stored (uncompressed), as the OCF container format requires.
"""

import io
import re
import zipfile
from datetime import UTC, datetime
from html import escape

from infinite_scribe.api.novel_markdown import bible_renderer, novel_markdown
from infinite_scribe.application.ports.reads import NovelView

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
    <item id="bible" href="bible.xhtml" media-type="application/xhtml+xml"/>
  </manifest>
  <spine>
    <itemref idref="bible"/>
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


def novel_epub(novel: NovelView) -> bytes:
    """The EPUB file: container, package, navigation and the bible as one XHTML page."""
    title = escape(xml_text(novel.title))
    language = "zh" if any("\u4e00" <= ch <= "\u9fff" for ch in novel.title) else "en"
    bible = xml_text(_MARKDOWN.render(xml_text(novel_markdown(novel))))
    nav = (
        f'<nav epub:type="toc" id="toc"><h1>{title}</h1>'
        f'<ol><li><a href="bible.xhtml">{title}</a></li></ol></nav>'
    )
    modified = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    files = {
        "META-INF/container.xml": _CONTAINER,
        "OEBPS/content.opf": _PACKAGE.format(
            novel_id=novel.novel_id, title=title, language=language, modified=modified
        ),
        "OEBPS/nav.xhtml": _PAGE.format(title=title, language=language, body=nav),
        "OEBPS/bible.xhtml": _PAGE.format(title=title, language=language, body=bible),
    }
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as book:
        book.writestr(zipfile.ZipInfo("mimetype"), EPUB, compress_type=zipfile.ZIP_STORED)
        for name, text in files.items():
            book.writestr(name, text, compress_type=zipfile.ZIP_DEFLATED)
    return buffer.getvalue()
