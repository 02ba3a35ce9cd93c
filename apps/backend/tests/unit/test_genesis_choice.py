"""ConfirmStage by choice, the writer's standing wishes and the novel's bible, without I/O."""

from dataclasses import replace
from typing import Any
from uuid import uuid4

import pytest

from infinite_scribe.domain import genesis, wishes as standing
from infinite_scribe.domain.commands import CommandIds, ConfirmStage
from infinite_scribe.domain.errors import InvalidPayload
from infinite_scribe.domain.novel import UNTITLED, novel_bible
from shared_types.enums import GenesisStage

IDS = CommandIds(command_id=uuid4(), novel_id=uuid4())
CONCEPTS = {
    "source": "llm",
    "note": "n",
    "concepts": [
        {"title": "甲", "logline": "一", "themes": ["科幻"]},
        {"title": "乙", "logline": "二", "themes": ["悬疑"]},
        {"title": "丙", "logline": "三", "themes": ["奇幻"]},
    ],
}
STATE = genesis.GenesisState(session_id=uuid4(), user_id=uuid4(), version=3)


def confirmed(state: genesis.GenesisState, **payload: Any) -> dict[str, Any]:
    command = ConfirmStage.model_validate({"stage": state.current_stage.value, **payload})
    (event,) = [e for e in genesis.decide(state, command, IDS) if e.event_type.endswith("med")]
    assert event.event_type == genesis.STAGE_CONFIRMED
    return dict(event.payload["data"])


def test_choice_copies_the_chosen_concept_and_data_edits_it() -> None:
    state = replace(STATE, last_result=CONCEPTS)
    assert confirmed(state, choice=1) == CONCEPTS["concepts"][1]
    edited = confirmed(state, choice=2, data={"title": "丙改"})
    assert edited == CONCEPTS["concepts"][2] | {"title": "丙改"}
    assert confirmed(state, data={"title": "自写"}) == {"title": "自写"}


def test_later_stages_have_one_option_without_source_and_note() -> None:
    proposal = {"source": "offline_draft", "note": "n", "setting": "s", "rules": ["r"]}
    state = replace(STATE, current_stage=GenesisStage.WORLDVIEW, last_result=proposal)
    assert confirmed(state, choice=0) == {"setting": "s", "rules": ["r"]}
    with pytest.raises(InvalidPayload, match="out of range"):
        confirmed(state, choice=1)


@pytest.mark.parametrize(
    ("last_result", "payload", "says"),
    [
        (None, {}, "send `choice`"),
        (CONCEPTS, {}, "send `choice`"),
        (CONCEPTS, {"data": {}}, "send `choice`"),
        (None, {"choice": 0}, "no proposal"),
        ({"concepts": []}, {"choice": 0}, "no proposal"),
        (CONCEPTS, {"choice": 3}, "0 to 2"),
    ],
)
def test_nothing_to_confirm_is_a_422_saying_what_is_missing(
    last_result: dict[str, Any] | None, payload: dict[str, Any], says: str
) -> None:
    with pytest.raises(InvalidPayload, match=says) as caught:
        confirmed(replace(STATE, last_result=last_result), **payload)
    assert caught.value.details["errors"][0]["loc"] == ["body", "payload", "choice"]


def test_the_choice_is_recorded_on_the_event_and_replays() -> None:
    state = replace(STATE, last_result=CONCEPTS)
    command = ConfirmStage(stage=GenesisStage.CONCEPT_SELECTION, choice=1)
    (event,) = genesis.decide(state, command, IDS)
    assert event.payload["choice"] == 1
    after = genesis.evolve(state, event.event_type, event.payload)
    assert after.confirmed_data["CONCEPT_SELECTION"]["title"] == "乙"


def test_writer_wishes_keep_the_concept_request_and_the_stage_preferences() -> None:
    concept = {
        "stage": "CONCEPT_SELECTION",
        "theme_preferences": ["科幻", "悬疑"],
        "style_preferences": ["快节奏", "第一人称"],
        "user_input": "一座会遗忘的城市",
        "preferences": {"length": "short"},
    }
    world = {"stage": "WORLDVIEW", "preferences": {"magic": "none"}}
    other = {"stage": "CHARACTERS", "preferences": {"cast": 3}}
    requests = [
        (genesis.CONCEPT_GENERATION_REQUESTED, {"stage": "CONCEPT_SELECTION", "user_input": "旧"}),
        (genesis.CONCEPT_GENERATION_REQUESTED, concept),
        (genesis.STAGE_GENERATION_REQUESTED, world),
        (genesis.STAGE_GENERATION_REQUESTED, other),
    ]
    wishes = standing.writer_wishes(requests, GenesisStage.WORLDVIEW)
    assert wishes == {
        "user_input": "一座会遗忘的城市",
        "theme_preferences": ["科幻", "悬疑"],
        "style_preferences": ["快节奏", "第一人称"],
        "preferences": {"length": "short", "magic": "none"},
    }
    assert standing.writer_wishes([], GenesisStage.WORLDVIEW) == {}


def test_the_initial_input_stands_under_every_request() -> None:
    created = {"user_id": "u", "initial_user_input": {"idea": " 守灯人 ", "themes": "奇幻"}}
    first = [(genesis.CREATED, created)]
    assert standing.writer_wishes(first, GenesisStage.CONCEPT_SELECTION) == {
        "user_input": "守灯人",
        "theme_preferences": ["奇幻"],
    }
    later = {"stage": "CONCEPT_SELECTION", "theme_preferences": ["科幻"], "preferences": {"a": 1}}
    wishes = standing.writer_wishes(
        [*first, (genesis.CONCEPT_GENERATION_REQUESTED, later)], GenesisStage.CONCEPT_SELECTION
    )
    assert wishes == {
        "user_input": "守灯人",
        "theme_preferences": ["科幻"],
        "preferences": {"a": 1},
    }


@pytest.mark.parametrize(
    ("given", "wishes"),
    [
        (
            {"text": "a lighthouse", "style": ["brisk", 3, {"x": 1}]},
            {"user_input": "a lighthouse", "style_preferences": ["brisk", "3"]},
        ),
        ({"idea": 7, "genres": list("abcdefghij")}, {"theme_preferences": list("abcdefg")}),
        (
            {"idea": "x" * 5000, "preferences": {"pov": "first"}},
            {"user_input": "x" * 2000, "preferences": {"pov": "first"}},
        ),
        ({"unrelated": "words", "preferences": "not a mapping"}, {}),
        ({}, {}),
    ],
)
def test_initial_wishes_read_the_usual_names_bounded(
    given: dict[str, object], wishes: dict[str, object]
) -> None:
    assert standing.initial_wishes(given) == wishes


def test_the_bible_carries_every_confirmed_stage() -> None:
    outline = {
        "acts": [
            {"title": "一", "chapters": [{"title": "c1"}, {"title": "c2"}]},
            {"title": "二", "chapters": [{"title": "c3"}]},
        ]
    }
    data = {
        "CONCEPT_SELECTION": {"title": "甲", "logline": "一句话", "themes": ["科幻", "悬疑"]},
        "STORY_CONCEPTION": {"premise": "p", "synopsis": "s", "tone": "x"},
        "WORLDVIEW": {"setting": "w"},
        "CHARACTERS": {"characters": [{"name": "林舟"}]},
        "PLOT_OUTLINE": outline,
    }
    bible = novel_bible(data)
    assert (bible.title, bible.logline, bible.theme) == ("甲", "一句话", "科幻, 悬疑")
    assert bible.target_chapters == 3 and bible.outline == outline
    assert bible.story == data["STORY_CONCEPTION"] and bible.worldview == {"setting": "w"}
    assert bible.characters == data["CHARACTERS"] and bible.writing_style == "x"
    assert novel_bible({}).title == UNTITLED and novel_bible({}).target_chapters == 0
