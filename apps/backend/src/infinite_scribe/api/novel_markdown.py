"""A novel's bible and its confirmed chapters as Markdown, for the writer to keep
(`GET /novels/{id}`, Accept: text/markdown).

Confirmed stages are the writer's JSON (edited freely), so they are rendered generically rather
than by a fixed template: texts become paragraphs, lists of texts bullets, objects and lists of
objects sub-sections named by their `title` or `name`. Nothing confirmed is left out.
"""

import functools
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from markdown_it import MarkdownIt

from infinite_scribe.api.field_names import field_label
from infinite_scribe.api.novel_chapters import chapter_markdown, confirmed_chapters
from infinite_scribe.application.ports.reads import NovelView
from infinite_scribe.domain.language import language_of

_SECTIONS = ("story", "worldview", "characters", "outline")
#: A field's name as a heading or label (the console passes one in the writer's language).
Label = Callable[[str], str]
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


def _scalar(value: Any) -> str:
    return str(value).strip()


def _list(key: str, items: list[Any], level: int, label: Label) -> list[str]:
    if all(not isinstance(item, (Mapping, list)) for item in items):
        return [_heading(level, label(key)), "", *(f"- {_scalar(item)}" for item in items), ""]
    lines = [_heading(level, label(key)), ""]
    for number, item in enumerate(items, start=1):
        if isinstance(item, Mapping):
            lines += _object(item, level + 1, label, fallback=f"{label(key)} {number}")
        else:
            lines += [f"- {_scalar(item)}", ""]
    return lines


def _object(
    data: Mapping[str, Any], level: int, label: Label, fallback: str | None = None
) -> list[str]:
    """An object: a heading from its title or name (when it has one), then its fields."""
    lines: list[str] = []
    name_key = next((key for key in _NAME_KEYS if isinstance(data.get(key), str)), None)
    if name_key is not None or fallback is not None:
        title = _scalar(data[name_key]) if name_key else str(fallback)
        lines += [_heading(level, title), ""]
        level += 1
    lines += _fields(data, level, label, skip=name_key)
    return lines


def _fields(
    data: Mapping[str, Any], level: int, label: Label, skip: str | None = None
) -> list[str]:
    lines: list[str] = []
    for key, value in data.items():
        if key == skip or value is None or value == "" or value == [] or value == {}:
            continue
        if isinstance(value, Mapping):
            lines += [_heading(level, label(key)), "", *_fields(value, level + 1, label)]
        elif isinstance(value, list):
            lines += _list(key, value, level, label)
        else:
            lines += [f"**{label(key)}:** {_scalar(value)}", ""]
    return lines


def _section(attribute: str, stage: Mapping[str, Any], label: Label, title: str) -> list[str]:
    """A confirmed stage under its heading. A stage whose one list is named as the stage
    (the characters' `characters`) lists it under the stage's heading, not under a second
    heading of the same name; its other fields (relationships) follow. The novel's title is
    said once, at the top (the story's `title` is left out when it is the same)."""
    lines = [_heading(2, label(attribute)), ""]
    if stage.get("title") == title:
        stage = {key: value for key, value in stage.items() if key != "title"}
    inner = stage.get(attribute)
    if isinstance(inner, list) and all(isinstance(item, Mapping) for item in inner):
        for number, item in enumerate(inner, start=1):
            lines += _object(item, 3, label, fallback=f"{label(attribute)} {number}")
        stage = {key: value for key, value in stage.items() if key != attribute}
    return lines + _fields(stage, 3, label)


def novel_markdown(
    novel: NovelView,
    chapters: Sequence[Mapping[str, Any]] = (),
    label: Label | None = None,
    *,
    titled: bool = True,
) -> str:
    """The whole bible: title (unless the page shows it already: `titled=False`), pitch, then
    every confirmed stage in Genesis order, its headings and field names said by `label`
    (English unless the console's writer reads another language); then every CONFIRMED
    chapter of `chapters` (`number`, `title`, `text`, `status`), in number order. Without a
    `label`, the book's own language says them (a Chinese book's headings in Chinese)."""
    if label is None:
        language = language_of(novel.title, novel.logline or "")
        label = functools.partial(field_label, language=language)
    lines = [_heading(1, novel.title), ""] if titled else []
    if novel.logline:
        lines += [f"> {novel.logline}", ""]
    facts = (
        ("theme", novel.theme),
        ("writing_style", novel.writing_style),
        ("target_chapters", novel.target_chapters or None),
    )
    lines += [f"- **{label(key)}:** {value}" for key, value in facts if value is not None]
    lines.append("")
    for attribute in _SECTIONS:
        stage: Mapping[str, Any] = getattr(novel, attribute)
        if stage:
            lines += _section(attribute, stage, label, novel.title)
    for chapter in confirmed_chapters(chapters):
        lines += chapter_markdown(chapter, 2)
    return "\n".join(lines).rstrip() + "\n"


def markdown_file(novel: NovelView) -> bytes:
    """The novel's Markdown file (its bible and every confirmed chapter), UTF-8: an export job's
    renderer (application/exports.py)."""
    return novel_markdown(novel, novel.chapters).encode()
