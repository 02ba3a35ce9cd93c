# ruff: noqa: RUF001, RUF002 - Chinese text uses full-width punctuation on purpose
"""Stop 99's walk of ideas of its own. Each case failed before:
- a trade word jieba's dictionary lacks (绣娘, 黄包车夫) was cut into the name after it (绣/v
  娘林/n 秋月/t): the hero was lost and the rival read as the hero. A role the readers know is
  now one word, a noun, to the tagger;
- one who obstructs the hero everywhere (处处阻挠) harms them: the rival;
- an English idea that opens with its setting alone ("Oslo, 1944:", "Nairobi, 2031.") had
  its place lost and its hero read in the setting's sentence (none) or given a later person's
  role ("Gestapo officer"); a capitalised run after "the" that describes the role after it
  ("the Gestapo officer") is no thing;
- the hero's card wanted to find out the truth whatever the idea's task: it is now the task
  the idea gives them (text/goals.py), the stock one only where the idea gives none;
- a person a feedback added to the codex without a wish read for them had the note list the
  diff's paths: the note says them added;
- a feedback that moves the story in time ("把时间改到1987年冬天") changed its place, and one that
  names a wish's kind before a colon (一条线索：……) had the kind pasted into the story;
- an English act named first, then what it holds ("In act two, the reactor explodes.") was
  not read; one name after someone's role ("Hypatia's apprentice Theon") was no one; a name
  after "off" ("off Key West") was a person."""

from dataclasses import replace
from uuid import UUID

import pytest

from infinite_scribe.agents.llm.offline.generator import draft
from infinite_scribe.agents.llm.offline.words import CHINESE, ENGLISH
from infinite_scribe.agents.llm.port import GenerationRequest
from infinite_scribe.domain.codex import grown
from infinite_scribe.domain.language import HAN
from infinite_scribe.text import goals, reading_en, reading_zh, segment
from infinite_scribe.text.codex_reading import feedback_people, offered_edits, read_codex
from shared_types.enums import GenesisStage

_Person = tuple[str | None, tuple[str, ...]]


def _read(idea: str) -> tuple[dict[str, _Person], dict[str, list[str]]]:
    entries = read_codex(idea).entries
    people = {e.name: (e.role, e.words) for e in entries if e.kind == "person"}
    kinds: dict[str, list[str]] = {}
    for entry in entries:
        kinds.setdefault(entry.kind, []).append(entry.name)
    return people, kinds


@pytest.mark.parametrize(
    ("idea", "hero", "role", "rival", "described"),
    [
        (
            "民国十年的苏州，绣娘林秋月要在端午前绣完一幅百鸟朝凤图，绸缎庄掌柜周世昌却想把图据为己有。",
            "林秋月",
            "绣娘",
            "周世昌",
            ("绸缎庄掌柜",),
        ),
        (
            "南宋临安，女仵作宋晚晴追查一桩连环命案，刑部侍郎秦桧之子秦熺处处阻挠。",
            "宋晚晴",
            "女仵作",
            "秦熺",
            (),
        ),
    ],
)
def test_a_chinese_hero_after_a_trade_the_dictionary_lacks_and_the_rival(
    idea: str, hero: str, role: str, rival: str, described: tuple[str, ...]
) -> None:
    people, _ = _read(idea)
    assert people[hero] == ("hero", (role,))
    assert people[rival] == ("rival", described)


def test_a_name_after_someones_kin_runs_to_a_word_never_in_a_name() -> None:
    """盐商之女 + 沈 + 知意/v + 为了/p: the name is 沈知意 (it was missed, and the rival read as the
    hero with her role); the one a copula and an adverb mark as the mastermind (正是幕后主使) is
    the rival, described by their title without the clause's verb (发现 + 盐运使)."""
    people, _ = _read(
        "万历年间的扬州，盐商之女沈知意为了给父亲洗冤，女扮男装混进了两淮盐运司，"
        "却发现盐运使冯敬尧正是幕后主使。"
    )
    assert people == {"沈知意": ("hero", ("盐商之女",)), "冯敬尧": ("rival", ("盐运使",))}


def test_a_modal_the_tagger_joins_to_a_given_name_is_no_part_of_it() -> None:
    people, _ = _read("书生王涣要在秋闱前赶到京城，“独眼龙”却一路追杀他。")
    assert people["王涣"] == ("hero", ("书生",))


def test_a_particle_inside_a_word_tagged_a_name_makes_it_none() -> None:
    """玄机 + 子之命/nr: "the master's order", no person (it was read as the hero); the word the
    dictionary knows (清风, a breeze) between a role opening the clause and a verb is the
    role's own name; 封山 (the snow seals the mountain) is no place."""
    people, kinds = _read(
        "大雪封山的青城山下，小道士清风奉师父玄机子之命，下山寻找失踪多年的师兄。"
    )
    assert people == {"清风": ("hero", ("小道士",))}
    assert kinds["place"] == ["青城山"]


def test_a_word_the_dictionary_knows_after_a_role_once_someone_is_named_is_no_name() -> None:
    people, _ = _read("1920年的上海，女记者沈青追查一桩旧案，渔民船只出海未归。")
    assert list(people) == ["沈青"]


def test_one_who_sabotages_the_heros_work_in_a_clause_of_their_own_is_the_rival() -> None:
    people, _ = _read(
        "Marooned on the ice moon Callisto, engineer Priya Nair must repair the reactor before "
        "the storm season, while the corporate liaison Victor Crane sabotages her work."
    )
    assert people["Victor Crane"] == ("rival", ("corporate liaison",))


def test_one_name_after_a_role_called_so_is_a_person_a_ships_is_not() -> None:
    people, _ = _read("In the floating city of Aerith, a thief called Wren steals a map.")
    assert people == {"Wren": ("hero", ("thief",))}
    people, kinds = _read("In the port city of Vell, a ship called Perseverance sails at dawn.")
    assert not people and kinds["place"] == ["Vell"]


def test_a_name_after_a_trade_the_dictionary_lacks_is_the_hero_not_a_place() -> None:
    people, kinds = _read(
        "清末的上海，黄包车夫阿根捡到一只装满银元的皮箱，青帮头目黄金荣派人四处追查。"
    )
    assert people["阿根"] == ("hero", ("黄包车夫",))
    assert kinds["place"] == ["上海"]


def test_a_role_the_dictionary_lacks_is_one_noun_a_role_it_has_keeps_its_tag() -> None:
    assert ("绣娘", "n") in segment.tagged("绣娘林秋月")
    assert ("刑警", "j") in segment.tagged("刑警沈青")  # the dictionary's own tag


@pytest.mark.parametrize(
    ("idea", "hero", "role", "place", "time"),
    [
        (
            "Oslo, 1944: the radio operator Ingrid Dahl must smuggle a codebook across the border "
            "before the Gestapo officer Klaus Brandt tightens the net.",
            "Ingrid Dahl",
            "radio operator",
            "Oslo",
            "1944",
        ),
        (
            "Nairobi, 2031. Data broker Wanjiru Kamau sells one secret too many and is hunted by "
            "the security firm Sentinel.",
            "Wanjiru Kamau",
            "data broker",
            "Nairobi",
            "2031",
        ),
    ],
)
def test_an_idea_opening_with_its_setting_alone(
    idea: str, hero: str, role: str, place: str, time: str
) -> None:
    people, kinds = _read(idea)
    assert people[hero] == ("hero", (role,))
    assert kinds["place"][0] == place and kinds["time"] == [time]
    assert not any("Gestapo" in thing for thing in kinds.get("object", []))


def test_a_run_and_a_year_inside_a_sentence_is_no_setting() -> None:
    people, kinds = _read("A letter reached the widow Mara Quill, 1944: the war was over.")
    assert "Mara Quill" in people and "place" not in kinds


def _hero_card(idea: str) -> dict[str, str]:
    chinese = bool(HAN.search(idea))
    request = GenerationRequest(
        UUID(int=99), GenesisStage.CHARACTERS, {}, user_input=idea, codex=read_codex(idea).as_json()
    )
    card: dict[str, str] = draft(request, CHINESE if chinese else ENGLISH).model_dump()[
        "characters"
    ][0]
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
    codex = read_codex(idea)
    words = CHINESE if HAN.search(idea) else ENGLISH
    request = GenerationRequest(
        UUID(int=99), GenesisStage.CHARACTERS, {}, user_input=idea, codex=codex.as_json()
    )
    first = draft(request, words).model_dump(mode="json")
    added = grown(codex.as_json(), feedback_people(feedback, codex), "event-1")
    again = replace(request, feedback=feedback, previous_proposal=first, codex=added.as_json())
    revised = draft(again, words).model_dump(mode="json")
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
    request = GenerationRequest(
        UUID(int=99),
        GenesisStage.PLOT_OUTLINE,
        {},
        user_input=idea,
        codex=read_codex(idea).as_json(),
    )
    first = draft(request, ENGLISH).model_dump(mode="json")
    feedback = "In act two, the reactor explodes."
    again = replace(request, feedback=feedback, previous_proposal=first)
    revised = draft(again, ENGLISH).model_dump(mode="json")
    assert revised["acts"][1]["summary"].endswith(" It turns on this: the reactor explodes.")
    assert revised["revision_note"] == "Revised as asked: the reactor explodes in act 2."


def test_one_name_after_someones_role_is_a_person() -> None:
    people, _ = _read(
        "The last librarian of Alexandria, Hypatia's apprentice Theon, must save one scroll as "
        "the fire spreads."
    )
    assert list(people) == ["Theon"]  # no one was read


def test_a_capitalised_article_before_a_role_called_so() -> None:
    people, _ = _read("A robot named Unit wakes up in an abandoned shopping mall.")
    assert people == {"Unit": ("hero", ("robot",))}


@pytest.mark.parametrize(
    ("idea", "place"),
    [
        ("Captain Elena Ruiz races the Coast Guard to a sunken treasure off Key West.", "Key West"),
        ("Captain Elias Morrow went down with the Albatross off Cape Wrath.", "Cape Wrath"),
    ],
)
def test_a_name_off_which_something_lies_is_a_place(idea: str, place: str) -> None:
    people, kinds = _read(idea)
    assert place in kinds["place"] and place not in people  # it was read as a person


def test_off_as_a_verbs_particle_names_no_place() -> None:
    people, kinds = _read("Typhus carried off Bridget Ahern in the third week of the crossing.")
    assert "Bridget Ahern" in people and "place" not in kinds


def test_a_trade_or_kin_is_no_thing_and_a_particle_no_name() -> None:
    """化妆师 (a trade by its ending), 姐姐 (kin) were things in the codex; 高高的/nrfg a person."""
    _, kinds = _read("我是一个在殡仪馆上夜班的化妆师，某天夜里，一具尸体睁开了眼睛。")
    assert "化妆师" not in kinds.get("object", [])
    _, kinds = _read("双胞胎姐妹林晚和林朝被卷入一场跨国走私案，姐姐是警察，妹妹是走私团伙的会计。")
    assert not {"姐姐", "妹妹"} & set(kinds.get("object", []))
    people, _ = _read("邵明珠站在校门口，她笑着朝女儿招了招手，把伞撑得高高的。")
    assert list(people) == ["邵明珠"]


@pytest.mark.parametrize(
    ("idea", "time"),
    [
        ("明朝嘉靖年间，倭寇侵扰浙江沿海，年轻的火铳手李二狗在台州一战中成名。", "明朝嘉靖年间"),
        ("1937年冬天的南京，钟表匠周默守着一只停在九点的怀表。", "1937年冬天"),
    ],
)
def test_words_of_time_side_by_side_are_one_time(idea: str, time: str) -> None:
    _, kinds = _read(idea)
    assert kinds["time"] == [time]  # each word had been a time of its own


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


def test_a_rival_marked_after_an_adverb_and_a_copula_and_an_era_that_is_a_time() -> None:
    """幕后黑手竟是商会会长杜月生: described as 商会会长 (it was 竟是商会会长); 民国 is a time
    (it was a place)."""
    people, kinds = _read(
        "民国上海滩，舞女白玫瑰与报社记者许文强联手调查一桩灭门惨案，幕后黑手竟是商会会长杜月生。"
    )
    assert people["杜月生"] == ("rival", ("商会会长",))
    assert kinds["place"] == ["上海滩"] and kinds["time"] == ["民国"]


def test_the_last_part_of_a_dotted_name_opens_no_name_of_its_own() -> None:
    people, _ = _read(
        "星际联邦末年，舰长凯瑟琳·李必须护送最后一艘移民船穿越黑洞带，叛军首领沙克一路追击。"
    )
    assert people == {"凯瑟琳·李": ("hero", ("舰长",)), "沙克": ("rival", ("叛军首领",))}


def test_a_name_after_a_lamplighter_is_the_hero_not_a_place() -> None:
    people, kinds = _read("在一座只有夜晚的城市里，点灯人阿苏每晚都要点亮一千盏灯。")
    assert people == {"阿苏": ("hero", ("点灯人",))}
    assert "点灯人阿苏" not in kinds.get("place", [])


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
    request = GenerationRequest(
        UUID(int=99),
        GenesisStage.CONCEPT_SELECTION,
        {},
        user_input=MARS_ZH,
        codex=read_codex(MARS_ZH).as_json(),
    )
    first = draft(request, CHINESE).model_dump(mode="json")
    again = replace(request, feedback=feedback, previous_proposal=first)
    assert draft(again, CHINESE).model_dump(mode="json")["revision_note"] == note


def test_one_who_closes_in_on_the_hero_in_a_clause_of_their_own_is_the_rival() -> None:
    """The Gestapo officer was no one's rival, and the writer invented one (a bank's name)."""
    people, _ = _read(
        "Oslo, 1944: the radio operator Ingrid Dahl must smuggle a codebook across the border "
        "before the Gestapo officer Klaus Brandt tightens the net."
    )
    assert people["Klaus Brandt"] == ("rival", ("Gestapo officer",))


def test_a_trade_in_ess_is_a_role_and_a_two_word_title_is_no_part_of_the_name() -> None:
    people, _ = _read(
        "After her husband is hanged for treason in 1746 Edinburgh, seamstress Isobel Grant vows "
        "to clear his name, but the Lord Advocate Robert Dundas will stop at nothing."
    )
    assert people["Isobel Grant"] == ("hero", ("seamstress",))  # no role was read
    assert "Robert Dundas" in people  # it was "Advocate Robert Dundas"


def test_the_mastermind_marked_and_an_age_said_by_its_period() -> None:
    people, kinds = _read(
        "唐朝长安，不良人李长风奉命追查一桩宫中失窃案，却发现主谋竟是当朝宰相杨国忠。"
    )
    assert people == {"李长风": ("hero", ("不良人",)), "杨国忠": ("rival", ("当朝宰相",))}
    _, kinds = _read("三国时期，蜀国小兵王二在街亭之战中捡到了诸葛亮的锦囊。")
    assert kinds["time"] == ["三国时期"] and "三国" not in kinds["place"]  # 三国 was a place


def test_a_later_feedback_about_someone_added_before_adds_no_one() -> None:
    """It said "Already so: added Marko Vuk." of "Make Marko Vuk older and meaner."."""
    idea = (
        "In 1908 Trieste, the lamplighter Nora Brandt must find the stolen harbour ledger, but "
        "the customs officer Anton Gruber wants her jailed."
    )
    codex = read_codex(idea)
    request = GenerationRequest(
        UUID(int=99), GenesisStage.CHARACTERS, {}, user_input=idea, codex=codex.as_json()
    )
    first = draft(request, ENGLISH).model_dump(mode="json")
    feedback = "Give Anton Gruber a henchman called Marko Vuk."
    added = grown(codex.as_json(), feedback_people(feedback, codex), "event-1")
    request = replace(request, codex=added.as_json())
    second = draft(replace(request, feedback=feedback, previous_proposal=first), ENGLISH)
    later = replace(
        request, feedback="Make Marko Vuk older.", previous_proposal=second.model_dump()
    )
    assert "added" not in (draft(later, ENGLISH).revision_note or "")


def test_one_who_would_charge_the_hero_is_the_rival_and_an_acronym_opens_a_role() -> None:
    people, _ = _read(
        "宋朝汴京，女扮男装的仵作柳如烟必须在七日内查出新科状元的死因，否则提刑官裴衡就要拿她问罪。"
    )
    assert people["裴衡"] == ("rival", ("提刑官",))  # he was no one's rival
    people, _ = _read("In 1969 Houston, NASA engineer Dorothy Vaughan finds an error.")
    assert people["Dorothy Vaughan"] == ("hero", ("NASA engineer",))  # no role was read
    people, _ = _read("They hanged the highwayman Jack Tolliver at Tyburn.")
    assert people["Jack Tolliver"] == ("hero", ("highwayman",))
