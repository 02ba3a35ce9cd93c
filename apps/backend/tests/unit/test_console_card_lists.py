"""The cards edited before confirming (issue 38): a concept edited before it is chosen, and
characters, acts and chapters added, removed and moved, as ConfirmStage's `data`."""

from typing import Any

from infinite_scribe.api.console.genesis_forms import confirm_payload
from shared_types import GenesisStage

CONCEPTS = {
    "concepts": [{"title": "雾港", "logline": "旧信"}, {"title": "沙城", "logline": "风暴"}]
}
CAST = {
    "characters": [
        {"name": "林舟", "role": "主角", "description": "法医"},
        {"name": "白鸦", "role": "反派", "description": "人工智能"},
        {"name": "老周", "role": "配角", "description": "守灯人"},
    ],
    "relationships": ["林舟追查白鸦"],
}
OUTLINE = {
    "acts": [
        {"title": "第一幕", "summary": "开端", "chapters": [{"title": "雾", "summary": "信"}]},
        {"title": "第二幕", "summary": "追逐", "chapters": [{"title": "沙", "summary": "风"}]},
    ]
}


def test_a_concept_is_edited_before_it_is_chosen() -> None:
    fields = {"f1:title": ["沙海"], "f0:title": ["不该用"]}
    payload = confirm_payload(GenesisStage.CONCEPT_SELECTION, CONCEPTS, 1, fields)
    assert payload == {"stage": "CONCEPT_SELECTION", "choice": 1, "data": {"title": "沙海"}}
    untouched = confirm_payload(GenesisStage.CONCEPT_SELECTION, CONCEPTS, 0, {"f1:title": ["x"]})
    assert "data" not in untouched


def test_characters_are_added_removed_and_moved() -> None:
    fields: dict[str, Any] = {
        "f:characters.3.name": ["苏禾"],
        "f:characters.3.role": ["盟友"],
        "f:characters.3.description": ["工程师"],
        "pos:characters.0": ["2"],
        "pos:characters.2": ["1"],
        "drop:characters.1": ["1"],
        "pos:characters.3": ["3"],
    }
    data = confirm_payload(GenesisStage.CHARACTERS, CAST, 0, fields)["data"]
    assert [c["name"] for c in data["characters"]] == ["老周", "林舟", "苏禾"]
    assert data["characters"][2] == {"name": "苏禾", "role": "盟友", "description": "工程师"}
    assert "relationships" not in data  # unchanged fields are not sent


def test_an_empty_blank_card_adds_nothing_and_a_list_is_never_emptied() -> None:
    blank = {"f:characters.3.name": [""], "f:characters.3.role": [""]}
    assert "data" not in confirm_payload(GenesisStage.CHARACTERS, CAST, 0, blank)
    every = {f"drop:characters.{n}": ["1"] for n in range(3)}
    assert "data" not in confirm_payload(GenesisStage.CHARACTERS, CAST, 0, every)


def test_chapters_move_within_their_act_and_a_new_act_comes_with_a_chapter() -> None:
    fields = {
        "f:acts.0.chapters.1.title": ["灯"],
        "pos:acts.0.chapters.0": ["2"],
        "f:acts.2.title": ["第三幕"],
        "f:acts.2.chapters.0.title": ["归来"],
        "pos:acts.1": ["9"],
    }
    acts = confirm_payload(GenesisStage.PLOT_OUTLINE, OUTLINE, 0, fields)["data"]["acts"]
    assert [a["title"] for a in acts] == ["第一幕", "第三幕", "第二幕"]
    assert [c["title"] for c in acts[0]["chapters"]] == ["灯", "雾"]
    assert acts[1]["chapters"] == [{"title": "归来", "summary": ""}]
