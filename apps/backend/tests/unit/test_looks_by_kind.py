# ruff: noqa: RUF001 - Chinese text uses full-width punctuation on purpose
"""Looks read by kind (issue 78, from the held-out set's misses): a height said as a measure, the
only scar said somewhere else, an age said at the same time as another, a person's appositive,
a colour before a length, a bald head then hair. Each through the consumer's use case in
memory (the reader, then the domain's comparison), each with the case that must stay quiet."""

from typing import Any

import pytest

from infinite_scribe.domain.novel import NovelBible
from infinite_scribe.text.reader import Known, read_chapter
from tests.support.continuity_book import check_book


async def changed(names: list[str], *chapters: str) -> list[tuple[int, str, str]]:
    """(chapter, who, attribute) of each changed trait the book's chapters say."""
    cards: dict[str, Any] = {"characters": [{"name": name} for name in names]}
    found = await check_book(NovelBible(title="t", characters=cards), chapters)
    return [(f["chapter"], f["who"], f["attribute"]) for f in found if f["kind"] == "trait_changed"]


def looks(language: str, text: str, name: str) -> list[tuple[str, Any]]:
    facts = read_chapter(language, text, Known({name: name}))["facts"]
    return [(f["attribute"], f["value"]) for f in facts if f["kind"] == "trait"]


@pytest.mark.parametrize(
    ("language", "name", "first", "then"),
    [
        ("en", "Bram Tollis", "Bram Tollis was a giant, close on seven feet.", "Bram was short."),
        ("en", "Declan Roe", "At six foot five, Declan Roe was the tallest.", "Declan was short."),
        ("zh", "罗铁塔", "罗铁塔身高九尺，进门都得低头。", "罗铁塔个子矮小。"),
        ("zh", "夏晴", "夏晴个子矮小。", "夏晴身高一米八五，比男人们还高。"),
    ],
)  # fmt: skip
async def test_a_height_said_as_a_measure_is_tall_or_short(
    language: str, name: str, first: str, then: str
) -> None:
    assert await changed([name], first, then) == [(2, name, "height")]


def test_a_measure_of_something_else_or_in_between_is_no_height() -> None:
    assert looks("en", "Bram Tollis stood six feet away from the door.", "Bram Tollis") == []
    assert looks("en", "Bram Tollis was five foot nine.", "Bram Tollis") == []
    assert looks("en", "Bram Tollis was five foot two.", "Bram Tollis") == [("height", "short")]
    assert looks("zh", "罗铁塔身高一米七。", "罗铁塔") == []


async def test_the_only_scar_said_somewhere_else_is_a_change_another_scar_is_not() -> None:
    first = "Anton Reisz had a scar over his left eyebrow."
    only = "Anton Reisz rubbed the only scar on his face, above his right eyebrow."
    another = "Anton Reisz rubbed the scar above his right eyebrow."
    assert await changed(["Anton Reisz"], first, only) == [(2, "Anton Reisz", "scar")]
    assert await changed(["Anton Reisz"], first, another) == []
    zh = ["萧烈左脸颊上有一道刀疤。", "萧烈摸了摸右脸颊上那道刀疤，那是他身上唯一的伤痕。"]
    assert await changed(["萧烈"], *zh) == [(2, "萧烈", "scar")]


async def test_an_age_said_at_the_same_time_cannot_be_years_above() -> None:
    first = "Ruth Oyelaran was twenty-three the summer she joined the dig."
    same = "That same summer Ruth Oyelaran, at fifty-one, was the oldest on the site."
    later = "Thirty years later Ruth Oyelaran, at fifty-one, came back to the site."
    assert await changed(["Ruth Oyelaran"], first, same) == [(2, "Ruth Oyelaran", "age")]
    assert await changed(["Ruth Oyelaran"], first, later) == []
    zh = ["韦小芸今年刚满十六。", "第二天，四十出头的韦小芸挎着菜篮去赶集。"]
    assert await changed(["韦小芸"], *zh) == [(2, "韦小芸", "age")]
    assert await changed(["韦小芸"], zh[0], "二十多年后，四十出头的韦小芸挎着菜篮去赶集。") == []


def test_an_appositive_is_the_person_not_another() -> None:
    text = "Dolores Vega, a woman well into her seventies, sold oranges."
    assert looks("en", text, "Dolores Vega") == [("age", [72, 79])]
    # Another's age stays another's.
    assert looks("en", "Dolores Vega met a woman well into her seventies.", "Dolores Vega") == []


def test_a_colour_before_a_length_and_an_image_is_no_dye() -> None:
    assert looks("zh", "唐薇留着齐耳短发，发色乌黑。", "唐薇") == [("hair", "black")]
    assert looks("zh", "唐薇留着齐耳短发。", "唐薇") == [("hair", "length:short")]
    facts = read_chapter("zh", "霍长风一头墨染般的黑发散落肩头。", Known({"霍长风": "霍长风"}))
    assert [f.get("change") for f in facts["facts"] if f["kind"] == "trait"] == [None]


async def test_hair_after_a_bald_head_is_a_change_going_bald_is_not() -> None:
    bald = "Abbot Cuthbert Reyne was bald as an egg."
    grey = "Cuthbert Reyne ran his fingers through his thick grey hair."
    assert await changed(["Cuthbert Reyne"], bald, grey) == [(2, "Cuthbert Reyne", "hair")]
    assert await changed(["Cuthbert Reyne"], grey, bald) == []
    assert looks("en", "Cuthbert Reyne told the bald truth.", "Cuthbert Reyne") == []
