"""The field-level diff of two versions (domain/diff.py), pure."""

from infinite_scribe.domain.diff import changed_paths, changes


def test_a_renamed_character_is_one_change_at_its_name() -> None:
    before = {"characters": [{"name": "Ada", "role": "lead"}, {"name": "Bo", "role": "foil"}]}
    after = {"characters": [{"name": "Eve", "role": "lead"}, {"name": "Bo", "role": "foil"}]}
    assert changes(before, after) == [
        {"path": "characters[0].name", "before": "Ada", "after": "Eve"}
    ]


def test_added_and_removed_fields_and_items_say_none_on_the_missing_side() -> None:
    before = {"rules": ["a"], "setting": "sea", "gone": 1}
    after = {"rules": ["a", "b"], "setting": "sea", "new": {"x": 1}}
    assert changes(before, after) == [
        {"path": "rules[1]", "before": None, "after": "b"},
        {"path": "gone", "before": 1, "after": None},
        {"path": "new", "before": None, "after": {"x": 1}},
    ]


def test_a_first_version_and_what_a_version_says_about_itself_are_no_changes() -> None:
    assert changes(None, {"title": "T"}) == []
    assert changes({"title": "T", "source": "llm"}, {"title": "T", "note": "n", "stage": "X"}) == []
    # ... but a nested field of those names is content.
    assert changes({"a": {"note": 1}}, {"a": {"note": 2}}) == [
        {"path": "a.note", "before": 1, "after": 2}
    ]


def test_a_type_change_is_reported_whole_and_the_walk_is_bounded() -> None:
    assert changes({"x": [1]}, {"x": {"0": 1}}) == [{"path": "x", "before": [1], "after": {"0": 1}}]
    many = changes({"n": list(range(1000))}, {"n": [-i - 1 for i in range(1000)]}, limit=10)
    assert len(many) == 10 and many[-1]["path"] == "n[9]"


def test_changed_paths_against_nothing_are_the_top_level_fields() -> None:
    assert changed_paths(None, {"premise": "p", "themes": ["a"]}) == ["premise", "themes"]
    assert changed_paths({"premise": "p"}, {"premise": "q"}) == ["premise"]
