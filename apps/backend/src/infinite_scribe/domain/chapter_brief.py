"""What a chapter's writer is given (issue 39): the chapter's outline entry, the novel's bible,
the summaries of the chapters confirmed before it and the writer's wishes or feedback. Pure.

The writer (the offline one, or a model through `agents/llm/chapter_prompts.py`) plans beats
from the brief, then writes each beat as prose; the brief is everything it may use.
"""

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from infinite_scribe.domain.language import language_of
from infinite_scribe.domain.novel import NovelBible
from infinite_scribe.domain.proposals import MAX_OUTLINE_CHAPTERS

#: The confirmed chapters before one whose summaries its brief carries (issue 48: the story
#: memory's digest carries the rest, so the brief is bounded whatever the book's length).
EARLIER_CHAPTERS = 5
#: An outline is the writer's JSON (edited freely): what is read from it is bounded (the chapters
#: a proposal may hold).
MAX_CHAPTERS = MAX_OUTLINE_CHAPTERS
_MAX_TITLE = 200
_MAX_SUMMARY = 2000


@dataclass(frozen=True)
class ChapterBrief:
    """One chapter to draft (or revise): `earlier` holds (number, title, summary) of the last
    EARLIER_CHAPTERS CONFIRMED chapters before this one (the story memory tells the rest);
    `previous_text` is the draft feedback applies to."""

    novel_id: UUID
    number: int
    title: str
    summary: str
    language: str  # "zh" or "en" (agents/llm/language.py)
    bible: NovelBible
    earlier: tuple[tuple[int, str, str], ...] = ()
    wishes: str | None = None
    feedback: str | None = None
    previous_text: str | None = None
    #: What the book remembers for this chapter (domain/story_memory.digest, issue 48): on
    #: stage characters' status and traits, who is dead, the open threads; {} before any.
    memory: Mapping[str, Any] = field(default_factory=dict)
    #: The writer's codex (issue 76, `Codex.as_json()`): named first in every chapter prompt.
    codex: Mapping[str, Any] = field(default_factory=dict)
    #: The checks the guard failed the previous draft on (issue 76): the one retry names them.
    failed_checks: tuple[str, ...] = ()


def _entries(outline: Mapping[str, Any]) -> list[Any]:
    """The outline's chapter entries in order: those of its acts (the proposal's shape), or
    a flat `chapters` list."""
    acts = outline.get("acts")
    if isinstance(acts, list):
        return [
            chapter
            for act in acts
            if isinstance(act, Mapping) and isinstance(act.get("chapters"), list)
            for chapter in act["chapters"]
        ]
    chapters = outline.get("chapters")
    return list(chapters) if isinstance(chapters, list) else []


def _text(entry: Mapping[str, Any], *keys: str) -> str:
    """The first non-blank text under one of `keys`, on one line."""
    for key in keys:
        value = entry.get(key)
        if isinstance(value, str) and value.strip():
            return " ".join(value.split())
    return ""


def chapter_outline(outline: Mapping[str, Any]) -> list[tuple[int, str, str]]:
    """(number, title, summary) of every chapter of a confirmed outline, numbered 1..n in
    order (at most MAX_CHAPTERS); an entry with no title or summary gets empty text, so the
    numbering matches `novel.chapter_count` (a writer's plain string entry is its summary)."""
    chapters = []
    for number, entry in enumerate(_entries(outline)[:MAX_CHAPTERS], start=1):
        if isinstance(entry, str):
            entry = {"summary": entry}
        elif not isinstance(entry, Mapping):
            entry = {}
        title = _text(entry, "title", "name")[:_MAX_TITLE]
        summary = _text(entry, "summary", "description", "synopsis")[:_MAX_SUMMARY]
        chapters.append((number, title, summary))
    return chapters


def novel_language(bible: NovelBible) -> str:
    """ "zh" when the novel is written in Chinese (its title, story, characters or outline
    have Chinese text), else "en": the language its chapters are written in."""
    parts = (bible.title, bible.story, bible.characters, bible.outline)
    text = json.dumps(parts, ensure_ascii=False, default=str)[:100_000]
    return language_of(text)
