"""Issue 70, no noise: a 30-chapter book of the offline writer, as the worker drafts it (the
outline extended by its batches, the chapters before each one confirmed), has no passage the
continuity check would report as repeated (decision 6901: the writer never reuses its own
sentences), in any pair of its chapters, not only the three the check compares."""

import asyncio
from typing import Any

import pytest

from infinite_scribe.agents.llm.offline.chapters import plan_beats, write_beat
from infinite_scribe.domain.chapter_brief import ChapterBrief
from infinite_scribe.domain.passages import shared
from tests.support.chapters import IDEAS, genesis_confirmed, people, places, whole_book

#: Two whole books, every pair of chapters compared (issue 75): `make test`, not `make unit`.
pytestmark = pytest.mark.corpus

CHAPTERS = 30


@pytest.fixture(scope="module")
def confirmed() -> dict[str, dict[str, Any]]:
    return {language: asyncio.run(genesis_confirmed(IDEAS[language])) for language in IDEAS}


def text(brief: ChapterBrief) -> str:
    beats = plan_beats(brief)
    return "\n\n".join(write_beat(brief, beats, index) for index in range(len(beats)))


def outlines_own(quote: str, briefs: list[ChapterBrief]) -> bool:
    """A passage two of the outline's entries say (its writer's, agents/llm/offline/generator.py:
    "the truth about <the story's core>" is in two of its nine beats), not the chapters'."""
    said = quote.strip(" .,").lower()
    return sum(said in brief.summary.lower() for brief in briefs) >= 2


@pytest.mark.parametrize("language", ["zh", "en"])
def test_no_two_chapters_of_a_book_share_a_passage(
    confirmed: dict[str, dict[str, Any]], language: str
) -> None:
    briefs = whole_book(confirmed[language], language, CHAPTERS)
    assert len(briefs) == CHAPTERS
    chapters = [text(brief) for brief in briefs]
    repeated = [
        (number + 1, before + 1, passage.quote)
        for number, chapter in enumerate(chapters)
        for before in range(number)
        for passage in shared(chapter, chapters[before])
        if not outlines_own(passage.quote, briefs)
    ]
    assert repeated == []
    # Still the book's own people and places, and chapters that differ.
    book = " ".join(chapters)
    bible = briefs[0].bible
    assert all(name in book for name, _ in people(bible))
    assert all(place in book for place in places(bible))
    assert len(set(chapters)) == CHAPTERS
