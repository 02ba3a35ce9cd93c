"""A novel's bible and its confirmed chapters as Markdown, for the writer to keep
(`GET /novels/{id}`, Accept: text/markdown).

Confirmed stages are the writer's JSON (edited freely), so they are rendered generically rather
than by a fixed template: texts become paragraphs, lists of texts bullets, objects and lists of
objects sub-sections named by their `title` or `name`. Nothing confirmed is left out.
"""

from collections.abc import Mapping, Sequence
from typing import Any

from markdown_it import MarkdownIt

from infinite_scribe.api.novel_chapters import chapter_markdown, confirmed_chapters
from infinite_scribe.application.ports.reads import NovelView

_SECTIONS = (
    ("story", "Story"),
    ("worldview", "World"),
    ("characters", "Characters"),
    ("outline", "Plot outline"),
)
_NAME_KEYS = ("title", "name")
_MAX_LEVEL = 6


def bible_renderer(*, xhtml: bool = False) -> MarkdownIt:
    """The Markdown -> HTML renderer of the bible (the console's page, the EPUB). Raw HTML is
    escaped, never rendered; images and links stay text (issue 41): an image would be a remote
    resource a reader fetches (a tracker), and markdown-it's image and link rules cost ~0.1 ms
    per `![` or `[` (each one scans ahead for its label), 23 s for a bible full of them."""
    options: Any = {"html": False, "xhtmlOut": xhtml}
    return MarkdownIt("commonmark", options).disable(["image", "link"])


def _heading(level: int, text: str) -> str:
    return f"{'#' * min(level, _MAX_LEVEL)} {text}"


def _label(key: str) -> str:
    return key.replace("_", " ").capitalize()


def _scalar(value: Any) -> str:
    return str(value).strip()


def _list(key: str, items: list[Any], level: int) -> list[str]:
    if all(not isinstance(item, (Mapping, list)) for item in items):
        return [_heading(level, _label(key)), "", *(f"- {_scalar(item)}" for item in items), ""]
    lines = [_heading(level, _label(key)), ""]
    for number, item in enumerate(items, start=1):
        if isinstance(item, Mapping):
            lines += _object(item, level + 1, fallback=f"{_label(key)} {number}")
        else:
            lines += [f"- {_scalar(item)}", ""]
    return lines


def _object(data: Mapping[str, Any], level: int, fallback: str | None = None) -> list[str]:
    """An object: a heading from its title or name (when it has one), then its fields."""
    lines: list[str] = []
    name_key = next((key for key in _NAME_KEYS if isinstance(data.get(key), str)), None)
    if name_key is not None or fallback is not None:
        title = _scalar(data[name_key]) if name_key else str(fallback)
        lines += [_heading(level, title), ""]
        level += 1
    lines += _fields(data, level, skip=name_key)
    return lines


def _fields(data: Mapping[str, Any], level: int, skip: str | None = None) -> list[str]:
    lines: list[str] = []
    for key, value in data.items():
        if key == skip or value is None or value == "" or value == [] or value == {}:
            continue
        if isinstance(value, Mapping):
            lines += [_heading(level, _label(key)), "", *_fields(value, level + 1)]
        elif isinstance(value, list):
            lines += _list(key, value, level)
        else:
            lines += [f"**{_label(key)}:** {_scalar(value)}", ""]
    return lines


def novel_markdown(novel: NovelView, chapters: Sequence[Mapping[str, Any]] = ()) -> str:
    """The whole bible: title, pitch, then every confirmed stage in Genesis order; then every
    CONFIRMED chapter of `chapters` (`number`, `title`, `text`, `status`), in number order."""
    lines = [_heading(1, novel.title), ""]
    if novel.logline:
        lines += [f"> {novel.logline}", ""]
    facts = (
        ("Theme", novel.theme),
        ("Writing style", novel.writing_style),
        ("Chapters", novel.target_chapters or None),
    )
    lines += [f"- **{label}:** {value}" for label, value in facts if value is not None]
    lines.append("")
    for attribute, heading in _SECTIONS:
        stage: Mapping[str, Any] = getattr(novel, attribute)
        if stage:
            lines += [_heading(2, heading), "", *_fields(stage, 3)]
    for chapter in confirmed_chapters(chapters):
        lines += chapter_markdown(chapter, 2)
    return "\n".join(lines).rstrip() + "\n"
