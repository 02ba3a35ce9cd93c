# ruff: noqa: RUF001, RUF002 - Chinese text uses full-width punctuation on purpose
"""Stop 99's walk, what the offline writer and the feedback reader made of it. Each case failed
before:
- the hero's card wanted to find out the truth whatever the idea's task: it is now the task
  the idea gives them (text/goals.py), the stock one only where the idea gives none;
- a person a feedback added to the codex without a wish read for them had the note list the
  diff's paths, and a later feedback about them had it say them added again;
- a feedback that moves the story in time ("把时间改到1987年冬天") changed its place, and one that
  names a wish's kind before a colon (一条线索：……) had the kind pasted into the story;
- an English act named first, then what it holds ("In act two, the reactor explodes.") was
  not read; a name given in a rival's description or right after the hero's change was read
  nowhere."""

import pytest

from infinite_scribe.text import goals, reading_en, reading_zh
from infinite_scribe.text.codex_reading import offered_edits, read_codex
from shared_types.enums import GenesisStage
from tests.support.offline_walk import revisions


def _hero_card(idea: str) -> dict[str, str]:
    card: dict[str, str] = revisions(idea, GenesisStage.CHARACTERS)[0]["characters"][0]
    return card


@pytest.mark.parametrize(
    ("idea", "motivation"),
    [
        (
            "光绪年间的宁波，当铺伙计沈小满要在冬至前赎回被典当的家传玉镯，可钱庄老板孙德茂偏要吞下这笔当。",
            "在冬至前赎回被典当的家传玉镯，哪怕要与孙德茂为敌。",
        ),
        (
            "In 1908 Trieste, the lamplighter Nora Brandt must find the stolen harbour ledger "
            "before the Feast of Saint Justus, but the customs officer Anton Gruber wants her "
            "jailed.",
            "To find the stolen harbour ledger before the Feast of Saint Justus, even if it means "
            "making an enemy of Anton Gruber.",
        ),
    ],
)
def test_the_heros_motivation_is_the_task_the_idea_gives_them(idea: str, motivation: str) -> None:
    """It was the stock "查明这件事的真相" ("To find out the truth about what happened") whatever
    the hero set out to do."""
    assert _hero_card(idea)["motivation"] == motivation


def test_a_hero_who_discovers_something_keeps_the_truth_to_find_out() -> None:
    card = _hero_card("2150年的火星殖民地，女法医林澜发现氧气配给记录被人篡改。")
    assert card["motivation"].startswith("查明氧气配给记录被人篡改的真相")


@pytest.mark.parametrize(
    ("event", "chinese", "goal"),
    [
        ("必须在七日之内找回账本，否则全家获罪", True, "在七日之内找回账本"),
        ("发现氧气配给记录被人篡改", True, None),
        ("must find the ledger; the court sits at dawn", False, "find the ledger"),
        ("has one week to restore a cracked bowl", False, None),
        ("wants to go", False, None),  # too short to be a goal of its own
    ],
)
def test_a_goal_is_what_follows_the_modal_up_to_the_clauses_end(
    event: str, chinese: bool, goal: str | None
) -> None:
    assert goals.goal(event, chinese) == goal


def test_a_word_of_purpose_opens_the_heros_goal() -> None:
    card = _hero_card(
        "万历年间的扬州，盐商之女沈知意为了给父亲洗冤，女扮男装混进了两淮盐运司，"
        "却发现盐运使冯敬尧正是幕后主使。"
    )
    assert card["motivation"] == "给父亲洗冤，哪怕要与冯敬尧为敌。"


@pytest.mark.parametrize(
    ("idea", "feedback", "note"),
    [
        (
            "万历年间的扬州，盐商之女沈知意为了给父亲洗冤，女扮男装混进了两淮盐运司，"
            "却发现盐运使冯敬尧正是幕后主使。",
            "让冯敬尧有一个帮凶，叫赵三。",
            "已按反馈修改：加入了赵三。",
        ),
        (
            "In 1908 Trieste, the lamplighter Nora Brandt must find the stolen harbour ledger "
            "before the Feast of Saint Justus, but the customs officer Anton Gruber wants her "
            "jailed.",
            "Give Anton Gruber a henchman called Marko Vuk.",
            "Revised as asked: added Marko Vuk.",
        ),
    ],
)
def test_a_person_a_feedback_adds_however_said_is_said_added(
    idea: str, feedback: str, note: str
) -> None:
    """The note had listed the diff's paths ("Changed: characters[4] (added); relationships[3]
    (added).") for a person the codex took from the feedback but no wish was read for."""
    _, revised = revisions(idea, GenesisStage.CHARACTERS, feedback)
    assert revised["characters"][4]["name"] in note
    assert revised["revision_note"] == note


@pytest.mark.parametrize(
    ("feedback", "time"),
    [
        ("把时间改到1987年冬天。", "1987年冬天"),  # the time named: the time, whatever follows
        ("故事改在1987年冬天。", "1987年冬天"),  # words of time only: a time, not a place
        ("故事改在三年后。", "三年后"),
    ],
)
def test_a_chinese_feedback_moving_the_story_in_time_changes_its_time(
    feedback: str, time: str
) -> None:
    """It had changed the place ("1985年，在1987年冬天，……"), and the note said so."""
    wished = reading_zh.read_feedback(feedback)
    assert (wished.time, wished.place) == (time, None)


def test_a_feedback_moving_the_story_to_a_place_still_moves_its_place() -> None:
    assert reading_zh.read_feedback("把地点改到上海。").place == "上海"


def test_what_a_wish_names_before_a_colon_is_its_kind_the_wish_follows() -> None:
    wished = reading_zh.read_feedback("加入一条线索：尸体手里攥着一枚军功章。")
    assert wished.elements == ("尸体手里攥着一枚军功章",)


@pytest.mark.parametrize(
    ("feedback", "wish"),
    [
        ("In act two, the reactor explodes.", "the reactor explodes"),
        ("Act two: Priya confronts Crane.", "Priya confronts Crane"),
        ("Act two should add a storm.", "a storm"),  # it was a wish for no act
    ],
)
def test_an_act_named_first_then_what_it_holds(feedback: str, wish: str) -> None:
    assert reading_en.read_feedback(feedback).acts == ((2, wish),)


def test_a_clause_wished_for_an_act_reads_as_a_sentence_in_the_outline_and_the_note() -> None:
    idea = "Marooned on the ice moon Callisto, engineer Priya Nair must repair the reactor."
    _, revised = revisions(idea, GenesisStage.PLOT_OUTLINE, "In act two, the reactor explodes.")
    assert revised["acts"][1]["summary"].endswith(" It turns on this: the reactor explodes.")
    assert revised["revision_note"] == "Revised as asked: the reactor explodes in act 2."


KYOTO = (
    "In Kyoto, the tea master Hanae Mori has one week to restore a cracked bowl for the "
    "emperor's visit, while her rival Kenji Sato plots to shame her."
)


SUZHOU = (
    "民国十年的苏州，绣娘林秋月要在端午前绣完一幅百鸟朝凤图，绸缎庄掌柜周世昌却想把图据为己有。"
)


@pytest.mark.parametrize(
    ("idea", "feedback", "rival", "to"),
    [
        (KYOTO, "Make the rival a woman named Aiko Sato.", "Kenji Sato", "Aiko Sato"),
        (SUZHOU, "把反派换成一个叫秦月的女人。", "周世昌", "秦月"),
    ],
)
def test_a_rival_described_with_a_name_is_offered_that_name(
    idea: str, feedback: str, rival: str, to: str
) -> None:
    """The codex's rival is the writer's: a feedback giving the rival a name in a description
    ("a woman named Aiko Sato") offers the rename (the note had said it could not tell, or
    that the rival was changed while the codex kept them)."""
    assert offered_edits(feedback, read_codex(idea)) == ({"op": "rename", "name": rival, "to": to},)


def test_the_city_is_the_place_a_feedback_moves() -> None:
    assert reading_en.read_feedback("The city should be Osaka instead.").place == "Osaka"


MARS_ZH = "2150年的火星殖民地，女法医林澜发现氧气配给记录被人篡改。"


@pytest.mark.parametrize(
    ("idea", "feedback", "offered"),
    [
        (
            MARS_ZH,
            "主角改成一个退休的飞行员，叫艾达。",
            {"op": "rename", "name": "林澜", "to": "艾达"},
        ),
        (
            "A forensic doctor on Mars in 2150 discovers the oxygen ledger has been falsified.",
            "The hero should be a retired pilot, named Ada Voss.",
            {"op": "add", "kind": "person", "name": "Ada Voss", "role": "hero"},
        ),
    ],
)
def test_a_name_given_right_after_the_heros_change_is_the_heros(
    idea: str, feedback: str, offered: dict[str, str]
) -> None:
    """The name was read nowhere: neither made nor offered, nor said in the note."""
    assert offered_edits(feedback, read_codex(idea)) == (offered,)


@pytest.mark.parametrize(
    ("feedback", "note"),
    [
        ("基调再暗一些。", "已按反馈修改：基调改为阴郁。"),  # it could not tell
        ("加一点爱情线。", "已按反馈修改：加入了爱情线；基调改为抒情。"),  # the line was not added
    ],
)
def test_a_chinese_wish_for_a_darker_tone_or_a_little_of_something(
    feedback: str, note: str
) -> None:
    _, revised = revisions(MARS_ZH, GenesisStage.CONCEPT_SELECTION, feedback)
    assert revised["revision_note"] == note


def test_a_later_feedback_about_someone_added_before_adds_no_one() -> None:
    """It said "Already so: added Marko Vuk." of "Make Marko Vuk older and meaner."."""
    idea = (
        "In 1908 Trieste, the lamplighter Nora Brandt must find the stolen harbour ledger, but "
        "the customs officer Anton Gruber wants her jailed."
    )
    added = "Give Anton Gruber a henchman called Marko Vuk."
    _, second, later = revisions(idea, GenesisStage.CHARACTERS, added, "Make Marko Vuk older.")
    assert second["revision_note"] == "Revised as asked: added Marko Vuk."
    assert "added" not in (later["revision_note"] or "")
