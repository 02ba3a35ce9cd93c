# ruff: noqa: RUF001 - Chinese text and the path separator on purpose
"""Issue 69: the console says a changed field's path and a character's trait in the page's
language ("characters[0].motivation", "eyes", "relation:Mara" are the data's names)."""

import pytest

from infinite_scribe.api.field_names import path_label, trait_label


@pytest.mark.parametrize(
    ("path", "english", "chinese"),
    [
        ("tone", "Tone", "基调"),
        ("characters[0].motivation", "Characters 1 › Motivation", "角色 1 › 动机"),
        (
            "characters.characters[2].name",
            "Characters › Characters 3 › Name",
            "角色 › 角色 3 › 名字",
        ),
        ("acts[1].chapters[0].summary", "Acts 2 › Chapters 1 › Summary", "幕 2 › 章节 1 › 概要"),
        ("core_conflict", "Core conflict", "Core conflict"),
    ],
)
def test_a_changed_fields_path_in_both_languages(path: str, english: str, chinese: str) -> None:
    assert path_label(path, "en") == english
    assert path_label(path, "zh") == chinese


def test_a_traits_name_in_both_languages() -> None:
    assert [trait_label(key, "zh") for key in ("age", "eyes", "hair", "profession")] == [
        "年龄",
        "眼睛",
        "头发",
        "职业",
    ]
    assert trait_label("eyes", "en") == "Eyes"
    assert trait_label("relation:苏晚", "zh") == "与苏晚的关系"
    assert trait_label("relation:Mara", "en") == "Relation to Mara"
