# ruff: noqa: RUF001, RUF002 - Chinese text uses full-width punctuation on purpose
"""Stop 100's walk, what the offline writer and the feedback reader made of it. Each case failed
before:
- a year between a preposition and its place ("in 2029 Lagos and must win") was cut twice out
  of the event: the premise read "opens a food truck nd must win";
- a change to the hero by their name ("Juno should be a doctor.", 让燕十三当一名捕快) was read as
  nothing, and 捕快 asked for a tense tone (快 counted inside another word);
- a wish for two people's story (加一段小六子和师父的感情戏) added the hero as a new element;
- the rival described by kin alone was told "陈万金，父亲。", not whose father;
- a moved place was noted without its article ("the story is set in space station")."""

import pytest

from infinite_scribe.text import reading_en, reading_zh
from infinite_scribe.text.codex_reading import offered_edits, read_codex
from shared_types.enums import GenesisStage
from tests.support.offline_walk import revisions

CHEF = (
    "A disgraced chef, Amara Osei, opens a food truck in 2029 Lagos and must win the city's "
    "street food prize before her old employer, restaurateur Victor Mensah, buys out every stall."
)
JUNO = (
    "On a generation ship bound for Kepler-442b, hydroponics technician Juno Park discovers the "
    "ship's AI, ARGUS, has been secretly culling the crew."
)
YAN = "南宋末年的临安城，女刺客燕十三奉命刺杀丞相贾似道，却发现自己的亲生父亲就是贾似道。"


def test_a_year_before_the_place_is_cut_out_of_the_event_once() -> None:
    event = reading_en.read(CHEF).event
    assert event is not None and "a food truck and must win the city's street food prize" in event
    premise = revisions(CHEF, GenesisStage.STORY_CONCEPTION)[0]["premise"]
    assert "food truck and must win" in premise and " nd " not in premise


def test_a_place_ends_before_a_participle() -> None:
    """ "a generation ship bound for Kepler-442b": the place is the ship, not "… ship bound"."""
    assert reading_en.read(JUNO).place == "generation ship"


@pytest.mark.parametrize(
    ("idea", "feedback", "note", "described"),
    [
        (JUNO, "Juno should be a doctor.", "the protagonist is now a doctor", "the doctor of"),
        (YAN, "让燕十三当一名捕快。", "主角改为捕快", "临安城的捕快"),
    ],
)
def test_a_change_to_the_hero_by_their_name(
    idea: str, feedback: str, note: str, described: str
) -> None:
    _, revised = revisions(idea, GenesisStage.CHARACTERS, feedback)
    assert note in revised["revision_note"]
    assert described in revised["characters"][0]["description"]
    assert "紧张" not in revised["revision_note"]  # 捕快 asks for no tone


def test_a_scene_with_the_hero_in_it_changes_no_hero() -> None:
    _, revised = revisions(JUNO, GenesisStage.CHARACTERS, "Add a scene where Juno meets ARGUS.")
    assert revised["characters"][0]["description"].startswith("Juno Park, the hydroponics")


def test_a_wish_for_two_peoples_story_is_one_wish() -> None:
    assert reading_zh.read_feedback("加一段小六子和师父的感情戏").elements == (
        "小六子和师父的感情戏",
    )
    # Each joined on its own, and a person told by a naming verb, stay two.
    assert reading_zh.read_feedback("加入雨夜追逐和一封密信").elements == ("雨夜追逐", "密信")
    assert reading_zh.read_feedback("加入一个侦探和一个叫陆小川的助手").elements == (
        "侦探",
        "助手陆小川",
    )


def test_a_rival_described_by_kin_is_the_heros_kin() -> None:
    idea = "清朝乾隆年间的扬州，盐商少爷陈子墨爱上了戏班花旦苏小怜，却遭到父亲陈万金的强烈反对。"
    cards = revisions(idea, GenesisStage.CHARACTERS)[0]["characters"]
    assert cards[1]["name"] == "陈万金"
    assert cards[1]["description"] == "陈万金，陈子墨的父亲。"


def test_a_moved_place_is_noted_with_its_article() -> None:
    _, moved = revisions(JUNO, GenesisStage.WORLDVIEW, "Set it on a space station instead.")
    assert "the story is set in the space station" in moved["revision_note"]


def test_a_place_named_in_quotes_is_the_place() -> None:
    """海底城市“深蓝”: the city is 深蓝, and 城市 is no place of its own."""
    idea = "未来的海底城市“深蓝”，维修工阿澈发现城市的氧气系统即将崩溃，而市长白景行隐瞒了真相。"
    places = [e.name for e in read_codex(idea).entries if e.kind == "place"]
    assert places == ["深蓝"]


@pytest.mark.parametrize(
    ("idea", "hero"),
    [
        (YAN, "燕十三"),  # a surname the lexicon lacked, a numeral given name
        ("徒弟把新打的刀呈上来，骆青山接过看了看，满意地点了点头。", "骆青山"),
        ("父亲纪长河去世已经整整十年了。纪小舟每年清明都会回一趟江边的老房子。", "纪小舟"),
    ],
)
def test_a_surname_the_lexicon_lacked(idea: str, hero: str) -> None:
    entries = read_codex(idea).entries
    assert next(e.name for e in entries if e.role == "hero") == hero


@pytest.mark.parametrize(
    "idea",
    [
        "京城广场上立起了岳擎天的铜像，他手按长剑，目视北方。",  # 他手: a pronoun, no role
        "今天是岳千山的头七，儿女们跪在坟前烧了一沓纸钱。",  # 儿女: children, no role
    ],
)
def test_no_role_opened_by_a_pronoun_nor_children(idea: str) -> None:
    hero = next(e for e in read_codex(idea).entries if e.role == "hero")
    assert hero.words == ()


AGATHA = (
    "Sister Agatha, a nun with a gambling problem, must win back the convent's deeds from the "
    "casino owner Luca Moretti before the bishop's visit on Easter Sunday."
)
SILAO = "北宋汴京，厨娘赵四娘想开一家自己的酒楼，却被樊楼东家王员外处处打压。"


@pytest.mark.parametrize(
    "feedback",
    [
        "Luca Moretti is the rival.",
        "Make Luca Moretti the rival.",
        "Luca Moretti should be the villain.",
    ],
)
def test_someone_the_codex_has_made_the_rival_by_their_name_is_offered(feedback: str) -> None:
    assert offered_edits(feedback, read_codex(AGATHA)) == (
        {"op": "set_role", "name": "Luca Moretti", "role": "rival"},
    )


@pytest.mark.parametrize(
    "feedback",
    ["Change the hero to a young nurse.", "Make the hero braver.", "The hero should be Mara."],
)
def test_a_request_opening_with_a_capital_is_no_name_made_the_rival(feedback: str) -> None:
    offered = offered_edits(feedback, read_codex(AGATHA))
    assert all(edit.get("role") != "rival" for edit in offered)
    assert all(edit.get("to") not in ("Change", "Make", "The") for edit in offered)


def test_a_hero_changed_by_their_name_without_a_title() -> None:
    _, revised = revisions(AGATHA, GenesisStage.CHARACTERS, "Agatha should be a novice.")
    assert revised["characters"][0]["description"].startswith("Sister Agatha, the novice")


def test_a_place_that_opens_with_a_year_is_noted_without_an_article() -> None:
    _, moved = revisions(
        AGATHA, GenesisStage.STORY_CONCEPTION, "Change the setting to 1950s Naples."
    )
    assert "the story is set in 1950s Naples" in moved["revision_note"]


def test_a_hopeful_ending_is_a_tone() -> None:
    _, revised = revisions(AGATHA, GenesisStage.STORY_CONCEPTION, "Make the ending hopeful.")
    assert "the tone is hopeful" in revised["revision_note"]
    assert "could not tell" not in revised["revision_note"]


def test_a_person_a_feedback_names_in_a_part_of_their_own_gets_a_card() -> None:
    """叫小石头的跑堂: 小石头 is a name in its part, a stone in the whole feedback."""
    added, unread = revisions(
        SILAO,
        GenesisStage.CHARACTERS,
        "给赵四娘加一个帮手，叫小石头的跑堂",
        "王员外其实是她失散多年的舅舅",
    )[1:]
    assert "小石头" in [card["name"] for card in added["characters"]]
    # A later feedback read as nothing is said so, whatever the earlier one asked.
    assert "没能从这条反馈里看出要改什么" in unread["revision_note"]
    assert "王员外其实是她失散多年的舅舅" in unread["revision_note"]
