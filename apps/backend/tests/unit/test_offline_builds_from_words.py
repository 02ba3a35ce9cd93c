# ruff: noqa: RUF001 - Chinese text uses full-width punctuation on purpose
"""Issue 38: the offline generator builds each stage from the writer's words, in both
languages: the idea's hero and place, feedback applied to what it names, the story's places in
the world, renames carried everywhere, revision notes kept out of the writer's text."""

from typing import Any
from uuid import UUID

import pytest

from infinite_scribe.agents.llm.offline import OfflineGenerator
from infinite_scribe.agents.llm.port import GenerationRequest
from infinite_scribe.domain.confirmation import options_of
from infinite_scribe.domain.proposals import PROPOSAL_META, Proposal
from infinite_scribe.domain.renaming import renamed
from shared_types.enums import GenesisStage as Stage

SESSION = UUID(int=38)
ZH_IDEA = "2150年的火星殖民地，一名女法医发现氧气配给记录被人篡改。"
EN_IDEA = "A forensic doctor on Mars in 2150 discovers that the oxygen ledger has been falsified."
LANGUAGES = {
    "zh": {
        "idea": ZH_IDEA,
        "hero": "女法医",
        "place": "火星殖民地",
        "other_idea": "在一座终年飘雪的城市，一位退休侦探追查一桩旧案。",
        "other_hero": "退休侦探",
        "other_place": "终年飘雪的城市",
        "hero_wish": "主角必须是火星上的女法医",
        "world_wish": "加入火星沙尘暴和稀缺的氧气配给制度",
        "world_things": ("沙尘暴", "氧气配给"),
        "foe_wish": "反派应该是殖民地的人工智能本身",
        "foe": "人工智能",
        "act_wish": "第二幕要有一次沙尘暴中的追逐",
        "chase": ("追逐", "沙尘暴"),
        "style": "第三人称",
        "style_wish": "更黑暗一些，用第三人称",
    },
    "en": {
        "idea": EN_IDEA,
        "hero": "forensic doctor",
        "place": "Mars",
        "other_idea": "A retired detective investigates a murder in the drowned city of New Haven.",
        "other_hero": "retired detective",
        "other_place": "New Haven",
        "hero_wish": "The protagonist must be a forensic doctor on Mars.",
        "world_wish": "Add Martian dust storms and scarce oxygen rationing.",
        "world_things": ("dust storm", "oxygen rationing"),
        "foe_wish": "The villain should be the colony's AI itself.",
        "foe": "AI",
        "act_wish": "Act two should have a chase through a dust storm.",
        "chase": ("chase", "dust storm"),
        "style": "third person",
        "style_wish": "Darker, and in the third person.",
    },
}
BOTH = pytest.mark.parametrize("lang", list(LANGUAGES))


async def propose(stage: Stage, **kw: Any) -> dict[str, Any]:
    request = GenerationRequest(session_id=SESSION, stage=stage, **kw)
    proposal: Proposal = await OfflineGenerator().generate(request)
    return proposal.model_dump(mode="json")


async def revise(stage: Stage, feedback: str, **kw: Any) -> dict[str, Any]:
    first = await propose(stage, **kw)
    return await propose(stage, feedback=feedback, previous_proposal=first, **kw)


def content(proposal: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in proposal.items() if key not in PROPOSAL_META}


def texts(value: Any) -> str:
    """Every text of the writer's content, joined (what ends up in the novel and exports)."""
    if isinstance(value, str):
        return value + "\n"
    if isinstance(value, dict):
        return "".join(texts(item) for item in value.values())
    if isinstance(value, list):
        return "".join(texts(item) for item in value)
    return ""


async def walk(idea: str, feedback: dict[Stage, str] | None = None) -> dict[str, Any]:
    """Confirm every stage's first option, revising where `feedback` says; the confirmed data."""
    confirmed: dict[str, Any] = {}
    for stage in (Stage.CONCEPT_SELECTION, Stage.STORY_CONCEPTION, Stage.WORLDVIEW):
        asked = {"user_input": idea, "confirmed_data": dict(confirmed)}
        wish = (feedback or {}).get(stage)
        proposal = await (revise(stage, wish, **asked) if wish else propose(stage, **asked))
        confirmed[stage.value] = options_of(stage, proposal)[0]
    return confirmed


@BOTH
async def test_the_concepts_tell_of_the_ideas_hero_and_place_without_pasting_it(lang: str) -> None:
    words = LANGUAGES[lang]
    for idea, hero, place in (
        (words["idea"], words["hero"], words["place"]),
        (words["other_idea"], words["other_hero"], words["other_place"]),
    ):
        concepts = (await propose(Stage.CONCEPT_SELECTION, user_input=idea))["concepts"]
        first_clause = idea.rstrip("。.").split("，")[0]
        for concept in concepts:
            assert hero in concept["logline"] and place in concept["logline"], concept
            assert idea.rstrip("。.") not in concept["logline"]
            assert first_clause not in concept["logline"] or lang == "en"
        for stale in ("孪生子", "守灯人", "边境小镇", "轨道修道院", "twin", "lighthouse"):
            assert stale not in texts(concepts)


@BOTH
async def test_a_new_hero_asked_for_is_the_hero(lang: str) -> None:
    words = LANGUAGES[lang]
    idea = words["other_idea"]
    concepts = await revise(Stage.CONCEPT_SELECTION, words["hero_wish"], user_input=idea)
    for concept in concepts["concepts"]:
        assert words["hero"] in concept["logline"]
    story = await revise(Stage.STORY_CONCEPTION, words["hero_wish"], user_input=idea)
    assert words["hero"] in story["premise"] and words["hero"] in story["synopsis"]


@BOTH
async def test_storms_and_oxygen_rationing_asked_for_are_in_the_world(lang: str) -> None:
    words = LANGUAGES[lang]
    confirmed = await walk(words["idea"])
    world = await revise(
        Stage.WORLDVIEW, words["world_wish"], user_input=words["idea"], confirmed_data=confirmed
    )
    for thing in words["world_things"]:
        assert any(thing in rule for rule in world["rules"]), (thing, world["rules"])
        assert thing in world["setting"]


async def test_a_wish_keeps_the_article_the_writer_gave_it() -> None:
    """The hand walk of issue 76: "Add a dust storm" was told "with dust storm"."""
    feedback = "Add a dust storm and an old map."
    story = await revise(Stage.STORY_CONCEPTION, feedback, user_input=EN_IDEA)
    assert "with a dust storm and an old map" in story["synopsis"], story["synopsis"]
    assert "Surviving a dust storm" in story["conflicts"][-2], story["conflicts"]
    assert " dust storm and old map" not in texts(content(story))


@BOTH
async def test_the_ai_asked_for_is_the_antagonist(lang: str) -> None:
    words = LANGUAGES[lang]
    confirmed = await walk(words["idea"], {Stage.STORY_CONCEPTION: words["foe_wish"]})
    assert words["foe"] in texts(confirmed[Stage.STORY_CONCEPTION.value]["conflicts"])
    cast = await propose(Stage.CHARACTERS, user_input=words["idea"], confirmed_data=confirmed)
    antagonist = cast["characters"][1]
    assert antagonist["role"] in ("反派", "antagonist") and words["foe"] in antagonist["name"]
    # Asked for at the characters stage itself, too.
    cast = await revise(Stage.CHARACTERS, words["foe_wish"], user_input=words["idea"])
    assert words["foe"] in cast["characters"][1]["name"]


@BOTH
async def test_a_chase_asked_for_in_act_two_is_in_an_act_two_chapter(lang: str) -> None:
    words = LANGUAGES[lang]
    confirmed = await walk(words["idea"])
    plot = await revise(
        Stage.PLOT_OUTLINE, words["act_wish"], user_input=words["idea"], confirmed_data=confirmed
    )
    act_two = [c["title"] + c["summary"] for c in plot["acts"][1]["chapters"]]
    assert any(all(word in chapter for word in words["chase"]) for chapter in act_two), act_two
    elsewhere = [c["summary"] for n in (0, 2) for c in plot["acts"][n]["chapters"]]
    assert not any(words["chase"][0] in chapter for chapter in elsewhere)


@BOTH
async def test_the_storys_places_are_the_worlds_places(lang: str) -> None:
    words = LANGUAGES[lang]
    for idea, place in (
        (words["idea"], words["place"]),
        (words["other_idea"], words["other_place"]),
    ):
        confirmed = await walk(idea)
        world = await propose(Stage.WORLDVIEW, user_input=idea, confirmed_data=confirmed)
        assert place in world["locations"][0]["name"]
        assert place in world["setting"]


@BOTH
async def test_a_renamed_character_is_renamed_everywhere_later(lang: str) -> None:
    words = LANGUAGES[lang]
    confirmed = await walk(words["idea"])
    cast = await propose(Stage.CHARACTERS, user_input=words["idea"], confirmed_data=confirmed)
    option = options_of(Stage.CHARACTERS, cast)[0]
    old = option["characters"][0]["name"]
    edited = [dict(card) for card in option["characters"]]
    edited[0]["name"] = "Rowan Vale" if lang == "en" else "韩青"
    data = renamed(option, option | {"characters": edited})  # what ConfirmStage confirms
    assert old not in texts(data) and edited[0]["name"] in texts(data["relationships"])
    confirmed[Stage.CHARACTERS.value] = data
    plot = await propose(Stage.PLOT_OUTLINE, user_input=words["idea"], confirmed_data=confirmed)
    assert old not in texts(plot) and edited[0]["name"] in texts(plot)
    assert data["characters"][1]["name"] in texts(plot)  # the antagonist keeps their name


@BOTH
async def test_revision_notes_stay_out_of_the_writers_text(lang: str) -> None:
    words = LANGUAGES[lang]
    feedback = {
        Stage.CONCEPT_SELECTION: words["style_wish"],
        Stage.STORY_CONCEPTION: words["style_wish"],
        Stage.WORLDVIEW: words["world_wish"],
    }
    confirmed = await walk(words["idea"], feedback)
    for stage, wish in feedback.items():
        proposal = await revise(stage, wish, user_input=words["idea"], confirmed_data=confirmed)
        assert proposal["revision_note"] and proposal["feedback_applied"] == [wish]
        assert proposal["source"] == "offline_draft"
        written = texts(content(proposal))
        for marker in ("已按反馈", "Revised", "修改", "离线", "Offline", wish):
            assert marker not in written
    assert not any(key in confirmed[s.value] for s in feedback for key in PROPOSAL_META)


@BOTH
async def test_the_writing_style_keeps_the_person_and_stays_out_of_the_world(lang: str) -> None:
    words = LANGUAGES[lang]
    style = words["style"]
    confirmed = await walk(words["idea"], {Stage.STORY_CONCEPTION: words["style_wish"]})
    assert style in confirmed[Stage.STORY_CONCEPTION.value]["writing_style"]
    asked = {
        "user_input": words["idea"],
        "style_preferences": ("冷峻" if lang == "zh" else "spare", style),
    }
    story = await revise(Stage.STORY_CONCEPTION, words["style_wish"], **asked)
    assert style in story["writing_style"]
    world = await revise(Stage.WORLDVIEW, words["world_wish"], confirmed_data=confirmed, **asked)
    assert style not in texts(content(world)) and "冷峻" not in texts(content(world))


async def test_revisions_build_on_each_other() -> None:
    first = await propose(Stage.WORLDVIEW, user_input=ZH_IDEA)
    storms = await propose(
        Stage.WORLDVIEW, user_input=ZH_IDEA, feedback="加入沙尘暴", previous_proposal=first
    )
    darker = await propose(
        Stage.WORLDVIEW, user_input=ZH_IDEA, feedback="更黑暗一些", previous_proposal=storms
    )
    assert "沙尘暴" in texts(content(darker))
    assert darker["feedback_applied"] == ["加入沙尘暴", "更黑暗一些"]


@BOTH
async def test_the_same_inputs_give_the_same_walk(lang: str) -> None:
    words = LANGUAGES[lang]
    feedback = {Stage.WORLDVIEW: words["world_wish"]}
    assert await walk(words["idea"], feedback) == await walk(words["idea"], feedback)
