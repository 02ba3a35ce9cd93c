# ruff: noqa: RUF001 - Chinese text uses full-width punctuation on purpose
"""Traits by kind, not by phrase (issue 78): any noun of an attribute with any value of its
class near the person (text/looks.py), ages as ranges, and the value semantics of
domain/continuity._changed."""

import pytest

from infinite_scribe.domain.trait_change import changed as _changed
from infinite_scribe.text.reader import Known, read_chapter

EN = Known({"Mara Quinn": "Mara Quinn", "Mara": "Mara Quinn", "Ilya": "Ilya Brandt"})
ZH = Known({"林舟": "林舟", "苏晚": "苏晚"})


def traits(language: str, text: str, known: Known, about: str | None = None) -> list[tuple]:
    read = read_chapter(language, text, known, about)["facts"]
    return [(f["who"], f["attribute"], f["value"]) for f in read if f["kind"] == "trait"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Mara tightened her brown ponytail.", ("Mara Quinn", "hair", "brown")),
        ("Mara's eyes, black as ink, gave nothing away.", ("Mara Quinn", "eyes", "black")),
        ("Mara stroked his great ginger beard.", ("Mara Quinn", "hair", "beard:red")),
        ("Green-eyed Mara sat at the back.", ("Mara Quinn", "eyes", "green")),
        ("Mara was well into her thirties.", ("Mara Quinn", "age", [32, 39])),
        ("Mara, a woman of thirty-five, laughed.", ("Mara Quinn", "age", 35)),
        ("Mara was a short man, and he stood on a crate.", ("Mara Quinn", "height", "short")),
    ],
)
def test_english_traits_by_kind(text: str, expected: tuple) -> None:
    assert traits("en", text, EN) == [expected]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("林舟两鬓斑白，眼角爬满了细纹。", ("林舟", "hair", "grey")),
        ("林舟甩了甩那两根黑辫子。", ("林舟", "hair", "black")),
        ("林舟双眸漆黑，沉静如夜。", ("林舟", "eyes", "black")),
        ("林舟三十出头。", ("林舟", "age", [30, 34])),
        ("林舟年过六旬，背却挺得笔直。", ("林舟", "age", [61, 69])),
        ("林舟个子不高，总是排在最前面。", ("林舟", "height", "short")),
    ],
)
def test_chinese_traits_by_kind(text: str, expected: tuple) -> None:
    assert traits("zh", text, ZH) == [expected]


def test_the_passage_only_person_and_another_persons_trait() -> None:
    # A role word in a passage of one person is that person; two persons: no one.
    assert traits("en", "Mara walked in. The widow's brown eyes were dry.", EN) == [
        ("Mara Quinn", "eyes", "brown")
    ]
    assert traits("en", "Mara met Ilya. The widow's brown eyes were dry.", EN) == []
    # A daughter's hair, a son's age are not the named person's.
    assert traits("en", "Mara touched her daughter's red hair.", EN) == []
    assert traits("zh", "林舟的儿子五岁了。", ZH) == []
    # An age of another time ("那年") is not the age now.
    assert traits("zh", "那年林舟四十岁。", ZH) == []
    # A bible card's description is about its character.
    assert traits("en", "Paramedic, thirty, with a blonde ponytail.", EN, "Mara Quinn") == [
        ("Mara Quinn", "hair", "blond"),
        ("Mara Quinn", "age", 30),
    ]


@pytest.mark.parametrize(
    ("was", "now", "attribute", "changed"),
    [
        (34, 27, "age", True),
        ([30, 39], 35, "age", False),
        ([60, 69], [38, 45], "age", True),
        (38, 45, "age", False),
        ("red", "beard:black", "hair", False),
        ("beard:red", "beard:black", "hair", True),
        ("tall", "short", "height", True),
        ("none", "grey", "hair", True),
        ("none", "length:long", "hair", True),
        ("grey", "none", "hair", False),
        ("length:short", "black", "hair", False),
        ("length:short", "length:long", "hair", True),
    ],
)
def test_a_change_by_the_attribute_value_semantics(
    was: object, now: object, attribute: str, changed: bool
) -> None:
    assert _changed({"value": was}, {"value": now}, attribute) is changed


@pytest.mark.parametrize(
    ("language", "text", "value"),
    [
        ("en", "A pale scar ran down Mara's left cheek.", "left cheek:scarred"),
        ("en", "Mara's left cheek was smooth and unmarked.", "left cheek:unmarked"),
        ("en", "Mara had lost his right hand to a shark.", "right hand:lost"),
        ("en", "Mara clapped both hands.", "both hand:used"),
        ("zh", "林舟的额头上有一道寸许长的疤痕。", "forehead:scarred"),
        ("zh", "林舟失去了右臂。", "right arm:lost"),
        ("zh", "林舟赤着双脚跑了。", "both foot:used"),
    ],
)
def test_a_body_part_and_its_state(language: str, text: str, value: str) -> None:
    attribute = "scar" if "scar" in value or "marked" in value else "limb"
    assert traits(language, text, EN if language == "en" else ZH) == [
        (("Mara Quinn" if language == "en" else "林舟"), attribute, value)
    ]


@pytest.mark.parametrize(
    ("was", "now", "attribute", "changed"),
    [
        ("left cheek:scarred", "left cheek:unmarked", "scar", True),
        ("hand:scarred", "right hand:unmarked", "scar", True),
        ("left cheek:scarred", "right cheek:unmarked", "scar", False),
        ("cheek:unmarked", "cheek:scarred", "scar", False),
        ("left brow:scarred", "right brow:only", "scar", True),
        ("neck:only", "arm:scarred", "scar", True),
        ("left cheek:only", "cheek:scarred", "scar", False),
        ("left cheek:only", "left cheek:unmarked", "scar", True),
        ("right leg:lost", "right foot:used", "limb", True),
        ("left arm:lost", "both arm:used", "limb", True),
        ("left arm:lost", "right arm:used", "limb", False),
        ("left hand:lost", "left arm:used", "limb", False),
        ("left arm:used", "left arm:lost", "limb", False),
    ],
)
def test_a_body_part_changed(was: str, now: str, attribute: str, changed: bool) -> None:
    assert _changed({"value": was}, {"value": now}, attribute) is changed


@pytest.mark.parametrize(
    ("language", "text"),
    [
        ("en", "Mara counted the bells. It was one. The answer was short."),
        ("en", "Mara was short with him."),
        ("en", "Mara held a red scarf over her hair."),
        ("en", "Mara walked past a man with black hair."),
        ("en", "Mara lost her footing and fell on her left hand."),
        ("zh", "苏晚戴着红色的帽子遮住头发。"),
        ("zh", "林舟顶着两个黑眼圈来上班。"),
        ("zh", "林舟现在十二点要去开会。"),
    ],
)
def test_what_is_no_trait(language: str, text: str) -> None:
    assert traits(language, text, EN if language == "en" else ZH) == []
