# ruff: noqa: RUF001 - Chinese text uses full-width punctuation on purpose
"""Stop 99's walk of ideas of its own. Each case failed before:
- a trade word jieba's dictionary lacks (绣娘, 黄包车夫) was cut into the name after it (绣/v
  娘林/n 秋月/t): the hero was lost and the rival read as the hero. A role the readers know is
  now one word, a noun, to the tagger;
- one who obstructs the hero everywhere (处处阻挠) harms them: the rival;
- an English idea that opens with its setting alone ("Oslo, 1944:", "Nairobi, 2031.") had
  its place lost and its hero read in the setting's sentence (none) or given a later person's
  role ("Gestapo officer"); a capitalised run after "the" that describes the role after it
  ("the Gestapo officer") is no thing;
- one name after someone's role ("Hypatia's apprentice Theon") was no one; a name after "off"
  ("off Key West") was a person. What the writer and the feedback reader made of the walk:
  test_walk_stop_99_feedback.py."""

import pytest

from infinite_scribe.text import reading_zh, segment
from infinite_scribe.text.codex_reading import read_codex

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
            ("刑部侍郎秦桧之子",),  # whose son he is: 之子 one word to the tagger
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


def test_one_who_would_charge_the_hero_is_the_rival_and_an_acronym_opens_a_role() -> None:
    people, _ = _read(
        "宋朝汴京，女扮男装的仵作柳如烟必须在七日内查出新科状元的死因，否则提刑官裴衡就要拿她问罪。"
    )
    assert people["裴衡"] == ("rival", ("提刑官",))  # he was no one's rival
    people, _ = _read("In 1969 Houston, NASA engineer Dorothy Vaughan finds an error.")
    assert people["Dorothy Vaughan"] == ("hero", ("NASA engineer",))  # no role was read
    people, _ = _read("They hanged the highwayman Jack Tolliver at Tyburn.")
    assert people["Jack Tolliver"] == ("hero", ("highwayman",))


GUANGZHOU = (
    "道光二十年的广州十三行，通事之女梁秀英要在英国商船离港前截回被私卖的一箱茶税账簿，"
    "可洋行买办吴敬斋偏要把账簿交给英商。"
)


def test_someones_child_is_one_word_and_a_known_role_stays_whole() -> None:
    """The stop's last walk: 通/v 事/n 之/u 女梁/n 秀英/nr lost the heroine, and the rival was
    read as the hero; 道光 is an era, so the idea opens with its time and place."""
    people, kinds = _read(GUANGZHOU)
    assert people == {"梁秀英": ("hero", ("通事之女",)), "吴敬斋": ("rival", ("洋行买办",))}
    assert kinds["time"] == ["道光二十年"]


def test_a_place_said_of_the_noun_after_it_in_a_time_frame_is_no_story_place() -> None:
    """在英国商船离港前 is when (before the British ship leaves port), not where: the story
    had been set in 英国."""
    assert reading_zh.read(GUANGZHOU).places == ("广州十三行",)
    (britain,) = [e for e in read_codex(GUANGZHOU).entries if e.name == "英国"]
    assert britain.role == "origin"  # where the ship is from
