# ruff: noqa: RUF001 - Chinese text uses full-width punctuation on purpose
"""The walk of issue 76 through ten new Chinese ideas (tests/data/walk_new_ideas_zh.json):
defects by kind, each shown failing first. A person whose clause opposes the hero (却, 偏偏,
但…) is the rival; what happens to the hero is the hero's clause, not a later clause about
someone else."""

import json
from pathlib import Path
from typing import Any

import pytest

from infinite_scribe.text import reading_zh, segment
from infinite_scribe.text.codex_reading import read_codex
from tests.support.codex_ideas import people_by_role
from tests.support.offline_walk import walk_stages as _walk

IDEAS = json.loads(
    (Path(__file__).parents[1] / "data" / "walk_new_ideas_zh.json").read_text("utf-8")
)["ideas"]
KILN = (
    "成化年间的景德镇，窑工之女沈青禾要在万寿节前烧出一只完美的斗彩鸡缸杯，"
    "督陶官冯保却想把功劳据为己有。"
)
PAPER = "民国二十六年的重庆，报馆校对员林望舒发现一篇社论被人改过，她的上司周启明劝她别声张。"


@pytest.fixture(autouse=True, scope="module")
def _warm() -> None:
    segment.warm()


def _people(idea: str) -> dict[str, Any]:
    return people_by_role(idea)


OPPOSED = [
    (KILN, "沈青禾", "冯保"),
    (IDEAS[3]["text"], "韩冬", "马洪"),  # 总督马洪却下令封锁消息
    (IDEAS[5]["text"], "温如玉", "周廷玉"),  # 巡抚大人周廷玉却要她……
    (IDEAS[6]["text"], "赵小满", "刘大勇"),  # 站长刘大勇偏偏要他交出来
    # Held out: a clause that opens with 但 and names the one set against the hero.
    (
        "万历年间的杭州，茶商林清漪要在清明前收齐新茶，但知府赵德昌扣下了她家的茶船。",
        "林清漪",
        "赵德昌",
    ),
]


@pytest.mark.parametrize(("idea", "hero", "rival"), OPPOSED)
async def test_a_person_whose_clause_opposes_the_hero_is_the_rival(
    idea: str, hero: str, rival: str
) -> None:
    people = _people(idea)
    assert people["hero"]["name"] == hero
    assert people["rival"]["name"] == rival
    cast = (await _walk(idea, read_codex(idea).as_json()))["CHARACTERS"]["characters"]
    assert [c["name"] for c in cast if c["role"] == "反派"] == [rival]


def test_the_hero_opposing_no_one_before_them_is_still_the_hero() -> None:
    """却 after the first person named opposes no one: she is the hero, and there is no rival."""
    people = _people("民国初年的北平，女记者苏念却不肯放过一桩旧案。")
    assert people["hero"]["name"] == "苏念"
    assert "rival" not in people


@pytest.mark.parametrize(
    ("idea", "event"),
    [
        (KILN, "要在万寿节前烧出一只完美的斗彩鸡缸杯"),
        (PAPER, "发现一篇社论被人改过"),
        (IDEAS[3]["text"], "发现地下冰层正在消失"),
        (IDEAS[6]["text"], "捡到一部会自己拨号的手机"),
    ],
)
def test_the_event_is_the_heros_clause_without_a_later_clause_about_someone_else(
    idea: str, event: str
) -> None:
    assert reading_zh.read(idea).event == event


async def test_the_story_core_is_a_clean_clause() -> None:
    story = (await _walk(PAPER, read_codex(PAPER).as_json()))["STORY_CONCEPTION"]
    text = json.dumps(story, ensure_ascii=False)
    assert "别声张的" not in text and "劝她别声张的真相" not in text
    assert "周启明劝她别声张；" not in story["premise"]


def _codex(idea: str) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for entry in read_codex(idea).as_json()["entries"]:
        found.setdefault(entry["kind"], []).append(entry["name"])
    return found


@pytest.mark.parametrize(
    ("idea", "name"),
    [
        (IDEAS[1]["text"], "陆子期"),  # 陆子 + 期 (a measure word to the tagger)
        (IDEAS[7]["text"], "罗伯年"),  # 罗伯 + 年
    ],
)
def test_a_name_the_tagger_cut_before_its_last_character_is_whole(idea: str, name: str) -> None:
    assert name in _codex(idea)["person"]


def test_a_name_after_a_title_is_a_person_however_it_ends() -> None:
    """特务头子丁墨村: a title then a name ending as a village does (村) is a person, the rival."""
    idea = IDEAS[2]["text"]
    people = _people(idea)
    assert people["rival"]["name"] == "丁墨村"
    assert not any("丁墨村" in place for place in _codex(idea).get("place", []))


def test_a_known_historical_name_after_a_title_is_a_person() -> None:
    """主考官严世蕃 (tagged a famous person's name): a person, set against the hero by 偏偏."""
    people = _people(IDEAS[1]["text"])
    assert people["rival"]["name"] == "严世蕃"
    assert people["hero"]["name"] == "陆子期"


@pytest.mark.parametrize(
    ("idea", "times", "not_times"),
    [
        (IDEAS[4]["text"], ["北宋末年"], ["北宋", "末年"]),  # a dynasty's last years, one time
        (IDEAS[8]["text"], ["贞观十七年", "上元夜"], ["元夜", "上元"]),  # a festival's night, whole
        (IDEAS[3]["text"], ["2150年"], ["正在"]),  # an adverb is no time
    ],
)
def test_times_are_read_whole_and_only_times(
    idea: str, times: list[str], not_times: list[str]
) -> None:
    read = _codex(idea)["time"]
    assert all(time in read for time in times), read
    assert not set(not_times) & set(read), read


def test_the_heros_name_is_the_one_right_after_the_role_not_the_rivals() -> None:
    """镖师杨青锋 (杨 + 青锋 to the tagger) …宿敌铁面判官孙无忌: the hero is 杨青锋, described
    as 镖师, and what happens to him does not open with his name."""
    facts = reading_zh.read(IDEAS[4]["text"])
    assert facts.hero_name == "杨青锋"
    assert facts.event == "押送一只檀木匣进京"
    assert _people(IDEAS[4]["text"])["hero"]["words"] == ["镖师"]


def test_a_role_after_the_place_and_its_particle_is_the_heros() -> None:
    """青云山的外门弟子叶知秋 (a name the dictionary knows): the hero is 叶知秋, 外门弟子."""
    facts = reading_zh.read(IDEAS[9]["text"])
    assert (facts.hero, facts.hero_name) == ("外门弟子", "叶知秋")
    assert facts.event == "要在宗门大比前突破筑基"


def test_a_place_with_the_noun_and_the_locative_after_it_is_a_place() -> None:
    """上海弄堂里的裁缝: 上海 and 弄堂 are where she lives (not an origin describing a noun)."""
    places = _codex(IDEAS[2]["text"]).get("place", [])
    assert "上海" in places and "弄堂" in places


def test_a_verb_is_never_the_thing_a_measure_word_opens() -> None:
    """一只檀木匣进京: 进京 is what he does with it, not a thing."""
    assert "进京" not in _codex(IDEAS[4]["text"]).get("object", [])


@pytest.mark.parametrize(
    ("idea", "rival", "title"),
    [
        (KILN, "冯保", "督陶官"),
        (IDEAS[1]["text"], "严世蕃", "主考官"),
        (IDEAS[5]["text"], "周廷玉", "巡抚大人"),
        (IDEAS[6]["text"], "刘大勇", "站长"),
    ],
)
def test_the_title_before_an_opposed_rivals_name_describes_them(
    idea: str, rival: str, title: str
) -> None:
    people = _people(idea)
    assert (people["rival"]["name"], people["rival"]["words"]) == (rival, [title])


@pytest.mark.parametrize(
    ("idea", "event"),
    [
        (IDEAS[2]["text"], "替地下党藏起一卷胶片"),  # a time clause between: 她替……
        (IDEAS[8]["text"], "在酒肆里发现一具无名尸首"),
    ],
)
def test_a_copula_heros_event_is_her_later_clause_when_no_modal_opens_one(
    idea: str, event: str
) -> None:
    assert reading_zh.read(idea).event == event


@pytest.mark.parametrize(
    ("event", "core"),
    [
        ("押送一只檀木匣进京", ""),  # the hero's own deed: nothing to find out
        ("奉命画一幅龙舟图", ""),
        ("替地下党藏起一卷胶片", ""),  # for someone: a deed too (a place first is kept)
        ("在酒肆里发现一具无名尸首", "一具无名尸首"),  # a finding after where
        ("发现一篇社论被人改过", "一篇社论被人改过"),
    ],
)
def test_the_core_is_what_is_found_never_the_heros_own_deed(event: str, core: str) -> None:
    assert reading_zh.event_core(event) == core


async def test_no_one_is_asked_to_find_out_the_truth_of_their_own_deed() -> None:
    idea = IDEAS[4]["text"]
    cast = (await _walk(idea, read_codex(idea).as_json()))["CHARACTERS"]["characters"]
    assert not any("押送一只檀木匣进京的真相" in card["motivation"] for card in cast)


def test_a_role_before_a_name_the_segmenter_split_is_the_heros() -> None:
    """一名裁缝林晚秋 (林 + 晚秋 to the segmenter; 裁缝 no listed role), as the concept's logline
    says it back: the hero is 林晚秋, 裁缝, and the event is hers without her."""
    line = "1943年，在上海，一名裁缝林晚秋替地下党藏起一卷胶片；越往下查，越接近特务头子的秘密。"
    facts = reading_zh.read(line)
    assert (facts.hero, facts.hero_name, facts.event) == ("裁缝", "林晚秋", "替地下党藏起一卷胶片")


async def test_the_hero_is_never_introduced_twice_in_a_row() -> None:
    idea = IDEAS[2]["text"]
    confirmed = await _walk(idea, read_codex(idea).as_json())
    text = json.dumps(confirmed, ensure_ascii=False)
    assert "林晚秋一名裁缝" not in text


def test_a_name_split_at_the_clause_end_after_a_kin_title_is_whole() -> None:
    """宿敌是掌门之子萧问天。 (萧 + 问 + 天 to the tagger): the rival is 萧问天, 掌门之子."""
    rival = _people(IDEAS[9]["text"])["rival"]
    assert (rival["name"], rival["words"]) == ("萧问天", ["掌门之子"])


HELD_OUT_KIN = (
    "开元二十年的长安，胡商之女阿罗要在上元节前找回丢失的夜光杯，宿敌是金吾卫校尉裴行俭。"
)


def test_a_kin_role_the_segmenter_cut_in_two_is_the_heros() -> None:
    """胡商 + 之 + 女 + 阿罗: the hero is 胡商之女, and what happens does not open with 之女."""
    facts = reading_zh.read(HELD_OUT_KIN)
    assert (facts.hero, facts.hero_name) == ("胡商之女", "阿罗")
    assert facts.event == "要在上元节前找回丢失的夜光杯"


def test_a_body_before_a_title_before_a_name_is_no_person() -> None:
    """金吾卫 + 校尉 + 裴行俭: the rival is 裴行俭, described as 金吾卫校尉."""
    rival = _people(HELD_OUT_KIN)["rival"]
    assert (rival["name"], rival["words"]) == ("裴行俭", ["金吾卫校尉"])
    assert "金吾卫" not in _codex(HELD_OUT_KIN)["person"]


def test_a_copula_role_the_tagger_calls_an_abbreviation_is_a_role() -> None:
    """沈默是一名退休刑警 (刑警/j): the hero is 沈默, 退休刑警; his event is his clause."""
    idea = "沈默是一名退休刑警，他发现女儿沈小雨的日记里提到了一个叫周伯年的人。"
    facts = reading_zh.read(idea)
    assert (facts.hero, facts.hero_name) == ("退休刑警", "沈默")
    assert facts.event is not None and facts.event.startswith("发现")
