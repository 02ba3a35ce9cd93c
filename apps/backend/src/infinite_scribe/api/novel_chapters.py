"""A novel's confirmed chapters in its exports (issue 39): which ones, in what order, and each
as Markdown, shared by the Markdown (api/novel_markdown.py) and EPUB (api/novel_epub.py) files.

Only CONFIRMED chapters are exported (a draft is not the writer's book yet), in number order,
after the bible. A chapter's text is the writer's prose: every line of it is a paragraph
(writers press Enter once between paragraphs), kept as they wrote it, except that a line
cannot turn itself into a heading or a code fence and so change the book's structure.
"""

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from infinite_scribe.domain.language import HAN

CONFIRMED = "CONFIRMED"
#: A line Markdown would read as a heading, or a code fence (an unclosed one would swallow
#: every later chapter).
_STRUCTURE = re.compile(r"^(#|`{3,}|~{3,})")
_LINES = re.compile(r"\r\n|\r|\n")


@dataclass(frozen=True)
class ExportedChapter:
    number: int
    title: str
    text: str

    @property
    def heading(self) -> str:
        """The chapter's title, or its number in the book's words when it has none."""
        title = " ".join(self.title.split())
        if title:
            return title
        return f"第{self.number}章" if HAN.search(self.text) else f"Chapter {self.number}"


def confirmed_chapters(chapters: Sequence[Mapping[str, Any]]) -> list[ExportedChapter]:
    """The CONFIRMED chapters, in number order (one per number: the first given wins)."""
    found: dict[int, ExportedChapter] = {}
    for chapter in chapters:
        number, text = chapter.get("number"), chapter.get("text")
        if chapter.get("status") != CONFIRMED or not isinstance(number, int):
            continue
        if isinstance(number, bool) or number in found:
            continue
        title = chapter.get("title")
        found[number] = ExportedChapter(
            number, title if isinstance(title, str) else "", text if isinstance(text, str) else ""
        )
    return [found[number] for number in sorted(found)]


def paragraphs(text: str) -> list[str]:
    """The chapter's paragraphs as Markdown: one per non-blank line, structure escaped."""
    # Only line breaks split (str.splitlines would split at a form feed or U+2028 too).
    lines = (line.strip() for line in _LINES.split(text))
    return [_STRUCTURE.sub(r"\\\1", line) for line in lines if line]


def chapter_markdown(chapter: ExportedChapter, level: int) -> list[str]:
    """The chapter as Markdown lines: its heading at `level`, then its paragraphs."""
    lines = [f"{'#' * level} {chapter.heading}", ""]
    for paragraph in paragraphs(chapter.text):
        lines += [paragraph, ""]
    return lines
