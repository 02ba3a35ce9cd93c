# ruff: noqa: RUF001 - Chinese text uses full-width punctuation on purpose
"""Issue 76, the fourth walk: ten ideas scored on the third walk's readers before any change
(tests/data/walk_new_ideas_4.json; held out: hero 8, role 7, rival 8, places 10, deadline 4,
origin 9, feedback 8, guard 9 of 10). The kinds they found, each on sentences of its own, then
the ideas' expectations as met now (what is still missed is listed, not hidden)."""

import json
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest

from infinite_scribe.agents.llm.offline.generator import draft
from infinite_scribe.agents.llm.offline.words import CHINESE, ENGLISH
from infinite_scribe.agents.llm.port import GenerationRequest
from infinite_scribe.text.codex_reading import read_codex, read_feedback_people
from shared_types.enums import GenesisStage
from tests.unit.test_offline_named_roles import SKELLIG
from tests.unit.test_walk_new_ideas_3 import _met

IDEAS: list[dict[str, Any]] = json.loads(
    (Path(__file__).parents[1] / "data" / "walk_new_ideas_4.json").read_text("utf-8")
)["ideas"]


def _entry(idea: str, name: str) -> tuple[str, str | None]:
    found = next(e for e in read_codex(idea).entries if e.name == name)
    return found.kind, found.role


def test_a_short_word_of_the_codex_is_no_part_of_a_new_name() -> None:
    """ "a dress" was in the codex, and "a" is inside "Brandt": the new person was refused."""
    codex = read_codex("Clara Venn, a violinist in Vienna, lends her sister a dress.")
    assert read_feedback_people("Add a rival student called Emil Brandt.", codex) == (
        "Emil Brandt",
    )


def test_a_role_word_after_the_is_a_person_not_where_someone_comes_from() -> None:
    assert _entry("Ada Pike must save her hives from the Inspector.", "the Inspector") == (
        "person",
        "rival",
    )


@pytest.mark.parametrize(
    ("idea", "deadline"),
    [
        ("Ada Pike has until the Harvest Banquet to win back her shop.", "the Harvest Banquet"),
        ("茶农周远必须在龙井开采节之前保住茶园。", "龙井开采节"),
        ("船匠林海要在妈祖诞辰之前造好新船。", "妈祖诞辰"),
        ("教师顾曼要在圣诞音乐会前找回乐谱。", "圣诞音乐会"),
        ("钱明必须在文物交流展开幕前查出铜镜的下落。", "文物交流展开幕"),
    ],
)
def test_an_event_of_more_words_is_the_deadline(idea: str, deadline: str) -> None:
    assert _entry(idea, deadline) == ("time", "deadline")


def test_a_longer_role_ending_opening_the_sentence_is_the_heros_role() -> None:
    hero = next(e for e in read_codex("Beekeeper Tobias Lind must save his hives.").entries)
    assert (hero.name, hero.role, hero.words) == ("Tobias Lind", "hero", ("beekeeper",))


def test_a_name_with_a_short_ending_opening_the_sentence_stays_a_name() -> None:
    hero = next(e for e in read_codex("Julian Weiss Brandt must save his hives.").entries)
    assert hero.name == "Julian Weiss Brandt"


def test_a_trades_possessive_and_a_kin_word_opening_the_sentence_are_the_heros_role() -> None:
    """ "Miner's daughter Bess Carrow": whose child she is, not the hero's kin."""
    idea = "Miner's daughter Bess Carrow must find her brother; a tinker named Will Hosken helps."
    hero = next(e for e in read_codex(idea).entries if e.role == "hero")
    assert (hero.name, hero.words) == ("Bess Carrow", ("miner's daughter",))


def test_what_stands_in_cong_lai_de_is_an_origin_whatever_its_tag() -> None:
    """开封 is tagged a verb ("to unseal"): 从开封来的 was read as no place at all."""
    idea = "洛阳城的捕快沈青要在端午前破案，帮她的是从开封来的仵作胡伯。"
    assert _entry(idea, "开封") == ("place", "origin")


def test_a_trade_after_where_the_hero_is_is_part_of_the_role() -> None:
    """上海的钢琴教师顾曼: the role was cut to 教师."""
    hero = next(e for e in read_codex("上海的钢琴教师顾曼要在除夕前找回乐谱。").entries)
    assert (hero.name, hero.words) == ("顾曼", ("钢琴教师",))


def test_a_nickname_a_naming_verb_opens_with_someone_between() -> None:
    idea = "船匠林海要在端午前造好新船，被人称作“海阎王”的帮主处处刁难。"
    assert _entry(idea, "海阎王") == ("person", "rival")


@pytest.mark.corpus
def test_the_fourth_walk_as_met_now() -> None:
    missed = {item["idea"][:20]: [k for k, v in _met(item).items() if not v] for item in IDEAS}
    assert {idea: kinds for idea, kinds in missed.items() if kinds} == {
        # "win the Conservatory Prize": a goal, not a time; no deadline said.
        "Orphaned violinist C": ["deadline"],
    }


def test_what_someone_wants_done_to_a_thing_is_no_thing() -> None:
    """The stop's last walk: "who wants the tower torn down" made "the tower torn down" a
    thing of the codex (a complement the lexicon did not have)."""
    idea = "Ada Pike must mend the clock, while the Provost, who wants the tower torn down, waits."
    assert [e.name for e in read_codex(idea).entries if e.kind == "object"] == []


@pytest.mark.parametrize(
    ("idea", "things"),
    [
        # Stop 95's walk: "workshop seized" was a thing, the rival's card "Bound up with
        # workshop seized." A participle after its noun says what is done to it, by its form.
        ("In 1887 Marisol Quintana repairs clocks in Valdivia, and her rival, the notary Anselm "
         "Brecht, wants her workshop seized before the winter flood.", []),
        ("Ada Pike hides the title deed in the tool shed.", ["the title deed"]),
        ("Ada Pike burns the woodshed.", ["the woodshed"]),
        ("Ada Pike steals the embroidered shawl.", ["the embroidered shawl"]),
    ],
)  # fmt: skip
def test_a_participle_after_its_noun_is_no_thing(idea: str, things: list[str]) -> None:
    assert [e.name for e in read_codex(idea).entries if e.kind == "object"] == things


@pytest.mark.parametrize(
    "idea",
    [
        "Marit Haugen, a ferry pilot in Tromso, must find her missing brother before the Midnight "
        "Sun Regatta; her rival is the harbour inspector Olav Brekke.",
        "Marit Haugen, a ferry pilot, must find her brother; her rival was Olav Brekke.",
    ],
)
def test_a_rival_after_a_copula_is_the_rival(idea: str) -> None:
    """The walk of stop 91: "her rival is the harbour inspector Olav Brekke" marked no one, and
    the offline writer invented an antagonist (Mira Okafor), Olav Brekke a supporting part."""
    rival = next(e for e in read_codex(idea).entries if e.role == "rival")
    assert rival.name == "Olav Brekke"
    assert rival.words == (("harbour inspector",) if "inspector" in idea else ())


def test_a_name_the_tagger_guesses_before_a_places_last_character_is_the_place() -> None:
    """Stop 95 noticed: jieba cut 白石岛 as 白石/nr 岛/n, and the codex held a person 白石 and
    no place (the offline writer's hero "身在灯塔"). A guessed name before a place's last
    character is that place's name, by kind (the lexicon's `place_ends`)."""
    idea = "1911年，林舟在白石岛守着灯塔，她的对手、港务长陈伯想把灯塔卖掉。"
    entries = {(e.kind, e.name) for e in read_codex(idea).entries}
    assert ("place", "白石岛") in entries and ("person", "白石") not in entries
    assert ("person", "林舟") in entries  # a name before its verb stays a name
    # The rival's title after an enumeration comma is theirs (对手、港务长陈伯).
    assert [e.words for e in read_codex(idea).entries if e.name == "陈伯"] == [("港务长",)]
    assert ("person", "陈默") in {(e.kind, e.name) for e in read_codex("陈默站在码头上。").entries}


def test_the_allys_card_says_the_place_as_chinese_says_a_town() -> None:
    """ "白石岛里第一个相信林舟的人", "上海里…": 里 is said of an enclosed place, not of an
    island or a city; the ally is the first in the place to believe the hero."""
    idea = "1911年，林舟在白石岛守着灯塔，她的对手、港务长陈伯想把灯塔卖掉。"
    codex = read_codex(idea).as_json()
    stage = GenesisStage.CHARACTERS
    request = GenerationRequest(UUID(int=9), stage, {}, user_input=idea, codex=codex)
    cards = draft(request, CHINESE).model_dump(mode="json")["characters"]
    assert any("白石岛第一个相信林舟的人" in card["description"] for card in cards), cards


@pytest.mark.parametrize(
    ("text", "titles"),
    [
        (SKELLIG.format(comma=","),
         ["Aoife Rooney of Skellig Rock", "What Skellig Rock Keeps", "Aoife Rooney's Account"]),
        ("1930年的上海，沈青在一家当铺里发现了一张旧船票。",
         ["上海的沈青", "上海疑云", "沈青手记"]),
    ],
)  # fmt: skip
def test_a_named_hero_whose_role_is_not_read_is_named_in_the_titles(
    text: str, titles: list[str]
) -> None:
    """Stop 95's walk: with her card mended, the concepts were still "The Stranger of
    Valdivia" and "The Stranger's Account" of Marisol Quintana, who repairs clocks there."""
    words = CHINESE if "上海" in text else ENGLISH
    request = GenerationRequest(UUID(int=6900), GenesisStage.CONCEPT_SELECTION, {}, user_input=text)
    concepts = draft(request, words).model_dump(mode="json")["concepts"]
    assert [concept["title"] for concept in concepts] == titles


def test_stop_96s_walk_reads_the_organ_tuner_and_the_bishops_clerk() -> None:
    """The reread's walk: "tunes" was no verb of the lexicon (the hero became a place, the
    rival the hero) and "the bishop's clerk" no rival's title (a data line; an apostrophe)."""
    idea = (
        "In 1923 Halvard Moen tunes church organs in Bergen, and his rival, the bishop's clerk "
        "Ottilie Brand, wants the cathedral organ melted down before the Midsummer fair."
    )
    entries = {e.name: (e.kind, e.role, e.words) for e in read_codex(idea).entries}
    assert entries["Halvard Moen"] == ("person", "hero", ())
    assert entries["Ottilie Brand"] == ("person", "rival", ("bishop's clerk",))
    assert entries["Bergen"][0] == "place"
