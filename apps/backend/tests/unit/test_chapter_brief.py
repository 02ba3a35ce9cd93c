"""Issue 39: a confirmed outline's chapters, numbered 1..n in order, in the proposal's shape
(acts with chapters) or a flat list, bounded, matching `chapter_count`."""

from typing import Any

import pytest

from infinite_scribe.domain.chapter_brief import MAX_CHAPTERS, chapter_outline, novel_language
from infinite_scribe.domain.novel import NovelBible, chapter_count
from tests.support.chapters import genesis_bible


def test_acts_chapters_are_numbered_in_order_across_acts() -> None:
    outline = {
        "acts": [
            {"title": "Act 1", "chapters": [{"title": "A", "summary": "a."}, {"title": "B"}]},
            {"title": "Act 2", "chapters": [{"title": "C", "summary": "  c\n  more. "}]},
        ]
    }
    assert chapter_outline(outline) == [(1, "A", "a."), (2, "B", ""), (3, "C", "c more.")]


def test_a_flat_list_and_plain_strings_are_chapters_too() -> None:
    outline = {"chapters": [{"name": "One", "description": "first"}, "Second happens.", 7]}
    expected = [(1, "One", "first"), (2, "", "Second happens."), (3, "", "")]
    assert chapter_outline(outline) == expected


@pytest.mark.parametrize(
    "outline",
    [{}, {"acts": "no"}, {"acts": [None, {"chapters": "x"}]}, {"chapters": {"a": 1}}],
)
def test_an_outline_without_chapters_has_none(outline: dict[str, Any]) -> None:
    assert chapter_outline(outline) == []
    assert chapter_count(outline) == 0


def test_the_number_of_chapters_is_bounded() -> None:
    outline = {"chapters": [{"title": "t" * 10_000, "summary": "s"}] * (MAX_CHAPTERS + 5)}
    chapters = chapter_outline(outline)
    assert len(chapters) == MAX_CHAPTERS
    assert len(chapters[0][1]) == 200


@pytest.mark.parametrize("language", ["zh", "en"])
async def test_the_offline_genesis_outline_gives_its_nine_chapters(language: str) -> None:
    bible = await genesis_bible(language)
    chapters = chapter_outline(bible.outline)
    assert [number for number, _, _ in chapters] == list(range(1, 10))
    assert len(chapters) == chapter_count(bible.outline) == bible.target_chapters
    assert all(title and summary for _, title, summary in chapters)


@pytest.mark.parametrize("language", ["zh", "en"])
async def test_the_novels_language_is_the_one_its_bible_is_written_in(language: str) -> None:
    assert novel_language(await genesis_bible(language)) == language
    assert novel_language(NovelBible(title="Untitled novel", outline={"acts": ["第一幕"]})) == "zh"
