# ruff: noqa: RUF001 - Chinese text uses full-width punctuation on purpose
"""Stop 96's noticed list and what reading it found: a Chinese idea's hero, place, deadline
and people read by kind. Each case failed before its change (stop 97; the last two, stop 98's
walk of ideas of its own)."""

from uuid import UUID

import pytest

from infinite_scribe.agents.llm.offline.generator import draft
from infinite_scribe.agents.llm.offline.words import CHINESE
from infinite_scribe.agents.llm.port import GenerationRequest
from infinite_scribe.text import reading_zh, segment
from infinite_scribe.text.codex_reading import feedback_people, offered_edits, read_codex
from shared_types.enums import GenesisStage

LIGHTHOUSE = "林舟在白石岛守着灯塔，她必须在台风季之前找到失踪的父亲。"


def _entries(idea: str) -> dict[str, tuple[str, str | None, tuple[str, ...]]]:
    return {e.name: (e.kind, e.role, e.words) for e in read_codex(idea).entries}


def test_every_reader_reads_one_segmentation() -> None:
    """`segment.words` cut 白石/岛守 where the tagger's cut (which the names' reader reads)
    holds 白石岛: the idea's reader then took 灯塔 for the place."""
    assert "白石岛" in segment.words(LIGHTHOUSE)
    assert segment.words(LIGHTHOUSE) == [word for word, _ in segment.tagged(LIGHTHOUSE)]


def test_what_a_verb_takes_is_no_place_and_a_role_the_hero_looks_for_is_not_hers() -> None:
    """守着 + 灯塔 is a thing; 她必须……找到失踪的父亲: the father is whom she looks for (a 的
    between the verb and the role does not make it hers); 台风季之前 is the deadline, and
    台风 no place anyone comes from."""
    facts = reading_zh.read(LIGHTHOUSE)
    assert (facts.hero, facts.hero_name, facts.places) == (None, "林舟", ("白石岛",))
    assert facts.time == "台风季"
    entries = _entries(LIGHTHOUSE)
    assert entries["林舟"] == ("person", "hero", ())
    assert entries["台风季"] == ("time", "deadline", ())
    assert entries["灯塔"][0] == "object"
    assert "台风" not in entries


@pytest.mark.parametrize(
    ("idea", "hero"),
    [
        ("来自上海的女法医林晚在火星发现一具尸体。", "女法医"),  # described: still hers
        ("仵作宋慈在临安发现一具无名尸。", "仵作"),
    ],
)
def test_a_role_described_before_the_hero_stays_the_heros(idea: str, hero: str) -> None:
    assert reading_zh.read(idea).hero == hero


def test_a_name_a_name_opener_begins_after_a_role_is_a_person() -> None:
    """渔民 + 阿海/ns: the tagger's place tag; a role and 阿 say a person, as 阿罗 is one."""
    entries = _entries("渔民阿海必须在雨季前修好堤坝。")
    assert entries["阿海"] == ("person", "hero", ("渔民",))
    assert entries["雨季"] == ("time", "deadline", ())
    assert "渔民阿海" not in entries
    assert reading_zh.read("渔民阿海必须在雨季前修好堤坝。").places == ()


def test_where_a_preposition_and_a_locative_say_is_a_place_not_a_person() -> None:
    """在 + 王府/nr + 里: where the hero is, not someone named 王府."""
    entries = _entries("侍女小翠在王府里发现了一封密信。")
    assert entries["王府"][0] == "place"
    assert entries["小翠"] == ("person", "hero", ("侍女",))


@pytest.mark.parametrize(
    ("idea", "place", "hero", "role"),
    [
        ("清朝末年，王府里的侍女小翠要在中秋节前找到失踪的玉佩。", "王府", "小翠", "侍女"),
        ("王府里的侍女小翠要在中秋节前找到失踪的玉佩。", "王府", "小翠", "侍女"),
    ],
)
def test_a_name_tagged_word_someone_is_in_is_a_place_not_the_hero(
    idea: str, place: str, hero: str, role: str
) -> None:
    """王府/nr + 里 + 的 + 侍女 (stop 98): where the maid is from, not a hero named 王府 with the
    maid a second person of no role. A word of any other tag stays as it was (日记里的秘密)."""
    entries = _entries(idea)
    assert entries[place] == ("place", None, ())
    assert entries[hero] == ("person", "hero", (role,))
    assert "日记" not in _entries("日记里的秘密让林舟不安。")


def test_a_name_the_tagger_cut_before_a_pronoun_at_the_clause_end_is_whole() -> None:
    """商人阿史那。: 阿史/n 那/r. The ally is named (the offline writer had invented one)."""
    idea = "长安城的画师裴青要在上元灯节前画完宫中的壁画；他的好友是西域来的商人阿史那。"
    assert _entries(idea)["阿史那"][0] == "person"


def test_a_state_after_where_the_hero_is_is_nothing_to_find_out() -> None:
    """The cards said "查明在白石岛守着灯塔的真相": keeping the light is what she does, not a
    mystery. Something that happened there (丢了) still is one."""
    assert reading_zh.event_core("在白石岛守着灯塔") == ""
    assert reading_zh.event_core("在锦里丢了一张祖传的脸谱") == "在锦里丢了一张祖传的脸谱"
    idea = "1911年，林舟在白石岛守着灯塔，她的对手、港务长陈伯想把灯塔卖掉。"
    request = GenerationRequest(
        UUID(int=9), GenesisStage.CHARACTERS, {}, user_input=idea, codex=read_codex(idea).as_json()
    )
    cards = draft(request, CHINESE).model_dump(mode="json")["characters"]
    assert not any("守着灯塔" in card["motivation"] for card in cards), cards


def test_the_reread_walk_a_verb_the_tagger_joined_to_the_rivals_name_is_not_hers() -> None:
    """Stop 97's reread walk: 郑三想/nr + 在…… made the rival 郑三想 (想: wants), and a
    rename of 郑三 offered nothing."""
    idea = "1936年，渔民阿海在鹭岛守着一座旧码头，他的对手、船行老板郑三想在中秋节前把码头拆掉。"
    entries = _entries(idea)
    assert entries["郑三"] == ("person", "rival", ("船行老板",))
    assert "郑三想" not in entries
    assert offered_edits("把对手郑三改名为郑九。", read_codex(idea)) == (
        {"op": "rename", "name": "郑三", "to": "郑九"},
    )


def test_the_reread_walk_a_person_added_from_somewhere_is_one_wish_with_her_origin() -> None:
    """加一个从厦门来的教书先生林素: her card lost 厦门, and the note said her not shown while
    the card was there (the wish was the whole phrase)."""
    codex = read_codex("1936年，渔民阿海在鹭岛守着一座旧码头。")
    feedback = "加一个从厦门来的教书先生林素。"
    assert feedback_people(feedback, codex) == {"林素": ("教书先生", "厦门来的")}
    assert reading_zh.read_feedback(feedback).elements == ("林素",)


HONG_KONG = (
    "1987年的香港，茶餐厅老板娘梁美玲想在回归前保住祖传的老店，可地产商何志强一心要拆掉整条街。"
)


def test_a_clause_a_conjunction_of_opposition_opens_names_the_rival_without_it() -> None:
    """Stop 98's walk: 可 (but) opens the clause of the one set against the hero, as 但 does;
    the conjunction is no part of his title (but 知府, not 但知府). A conjunction is a word:
    可能 and 但凡 open nothing."""
    entries = _entries(HONG_KONG)
    assert entries["梁美玲"] == ("person", "hero", ("老板娘",))
    assert entries["何志强"] == ("person", "rival", ("地产商",))
    tea = "万历年间的杭州，茶商林清漪要在清明前收齐新茶，但知府赵德昌扣下了她家的茶船。"
    assert _entries(tea)["赵德昌"] == ("person", "rival", ("知府",))
    maybe = "林舟要在冬至前找到账本，可能是何志强拿走了它。"
    assert _entries(maybe).get("何志强", ("person", None, ()))[1] != "rival"
