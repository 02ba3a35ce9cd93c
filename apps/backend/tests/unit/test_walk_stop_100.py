# ruff: noqa: RUF001 - Chinese text uses full-width punctuation on purpose
"""Stop 100's walk of ideas of its own, through the codex. Each case failed before:
- a person neither the hero nor the rival had no words, whatever the idea said they were
  (戏班花旦苏小怜, 市长白景行, "a shipping magnate, Julius Crane"): the role or title said
  right before the name describes them (text/described.py);
- a title jieba cuts into the name after it (刑警队/n 长马国/ns 栋/q) lost the person and made a
  place of them; a name the tagger calls a place right after a title (公司CEO + 郑海/ns) was a
  place: a surname first makes it a person unless it is surely a place;
- a reign after its dynasty (清朝乾隆年间, 唐朝天宝年间) and an age before 的 (抗战时期的重庆) were
  lost or cut in two;
- an English place said with what it has become ("In plague-stricken London") was lost, a
  first name before "and" and a full name ("Maya and Leila Haddad") was no one, and a rival
  whose body is named with a possessive ("the Water Authority's commissioner Livia Sforza
  hunts him") was no rival."""

import pytest

from infinite_scribe.text.codex_reading import read_codex

_Person = tuple[str | None, tuple[str, ...]]


def _people(idea: str) -> dict[str, _Person]:
    return {e.name: (e.role, e.words) for e in read_codex(idea).entries if e.kind == "person"}


def _kinds(idea: str) -> dict[str, list[str]]:
    kinds: dict[str, list[str]] = {}
    for entry in read_codex(idea).entries:
        kinds.setdefault(entry.kind, []).append(entry.name)
    return kinds


@pytest.mark.parametrize(
    ("idea", "person", "said"),
    [
        (
            "清朝乾隆年间的扬州，盐商少爷陈子墨爱上了戏班花旦苏小怜，却遭到父亲陈万金的强烈反对。",
            "苏小怜",
            (None, ("戏班花旦",)),
        ),
        (
            "未来的海底城市，维修工阿澈发现氧气系统即将崩溃，而市长白景行隐瞒了真相。",
            "白景行",
            (None, ("市长",)),
        ),
        (
            "景德镇的瓷器匠人吴青山必须烧出一件祭红瓷；帮他的是从福建来的学徒小林。",
            "小林",
            (None, ("学徒", "福建来的")),  # where they come from is theirs too
        ),
        (
            "A retired cartographer, Helena Voss, is hired by a shipping magnate, Julius Crane.",
            "Julius Crane",
            (None, ("shipping magnate",)),
        ),
        (
            "Horace Pym breathed his last while his nurse, Ida Sorrell, was changing the water.",
            "Ida Sorrell",
            (None, ("nurse",)),  # no "his": the description starts after the owner
        ),
        (
            "Detective Inspector Ravi Menon must solve a murder aboard the overnight train.",
            "Ravi Menon",
            ("hero", ("Detective Inspector",)),
        ),
    ],
)
def test_a_person_is_described_by_the_role_said_before_their_name(
    idea: str, person: str, said: _Person
) -> None:
    assert _people(idea)[person] == said


@pytest.mark.parametrize(
    "idea",
    [
        # A word the lexicon does not know as a role or a title describes no one (回家 ends in 家).
        "曹金宝拎着两条大黄鱼跳上码头，嚷嚷着要回家过小年。",
        # A verb or a preposition among the words before the name: no description.
        "The crowd waited at the gate for Ada Pike.",
    ],
)
def test_no_description_where_the_words_before_are_no_role(idea: str) -> None:
    assert all(not words for role, words in _people(idea).values() if role != "hero")


def test_a_title_jieba_would_cut_into_the_name_after_it() -> None:
    idea = (
        "1999年的东北小城，下岗工人老赵为了给女儿凑学费，卷入了一场运钞车劫案，"
        "刑警队长马国栋紧追不放。"
    )
    people, kinds = _people(idea), _kinds(idea)
    assert people["马国栋"] == ("rival", ("刑警队长",))  # 紧追不放: he pursues the hero
    assert not any("马国" in place for place in kinds["place"])


def test_a_name_the_tagger_calls_a_place_after_an_acronym_title() -> None:
    idea = "2035年的上海，AI工程师许诺发现她设计的客服机器人开始写诗，公司CEO郑海却想把它卖给军方。"
    people, kinds = _people(idea), _kinds(idea)
    assert people["许诺"] == ("hero", ("AI工程师",))
    assert people["郑海"][0] == "rival"
    assert kinds["place"] == ["上海"]


def test_a_body_before_a_title_is_no_person() -> None:
    """金吾卫/nr: a guard of the palace, part of the rival's title."""
    idea = (
        "唐朝天宝年间的长安，胡商之子安思远想在上元节前找回失窃的夜明珠，"
        "金吾卫中郎将李崇却怀疑他就是窃贼。"
    )
    assert _people(idea) == {
        "安思远": ("hero", ("胡商之子",)),
        "李崇": ("rival", ("金吾卫中郎将",)),
    }
    assert _kinds(idea)["time"] == ["唐朝天宝年间", "上元节"]


@pytest.mark.parametrize(
    ("idea", "time"),
    [
        ("清朝乾隆年间的扬州，盐商少爷陈子墨爱上了戏班花旦苏小怜。", "清朝乾隆年间"),
        ("抗战时期的重庆，女报务员沈若兰截获了一份日军密电。", "抗战时期"),
    ],
)
def test_a_reign_with_its_dynasty_and_an_age_before_its_place(idea: str, time: str) -> None:
    assert _kinds(idea)["time"] == [time]


@pytest.mark.parametrize(
    ("idea", "place"),
    [
        (
            "In plague-stricken London, 1665, a gravedigger named Ezra Pike finds a living child.",
            "London",
        ),
        ("In a drowned Venice of 2090, gondolier Marco Bellini smuggles seeds.", "Venice"),
        (
            "After her brother vanishes in the Alaskan wilderness, June Okafor follows.",
            "the Alaskan wilderness",
        ),
    ],
)
def test_an_english_place_said_with_what_it_has_become(idea: str, place: str) -> None:
    assert _kinds(idea)["place"][0] == place


def test_a_first_name_before_and_and_a_full_name_shares_the_surname() -> None:
    idea = "Two sisters, Maya and Leila Haddad, inherit a failing vineyard in 1970s Lebanon."
    assert list(_people(idea)) == ["Maya Haddad", "Leila Haddad"]


@pytest.mark.parametrize(
    ("idea", "people"),
    [
        # Kin before the first name, an epithet opening the full name: no surname shared.
        (
            "Ada Pike, a miner, walks to Leeds with her aunt Rosa and Ben Kerr.",
            ["Ada Pike", "Rosa", "Ben Kerr"],
        ),
        (
            "Ada Pike walks to Leeds with her cousins Bea and Young Will.",
            ["Ada Pike", "Bea", "Young Will"],
        ),
    ],
)
def test_no_surname_shared_after_kin_or_before_an_epithet(idea: str, people: list[str]) -> None:
    assert list(_people(idea)) == people


def test_a_rival_whose_body_is_named_with_a_possessive() -> None:
    idea = (
        "In a drowned Venice of 2090, gondolier Marco Bellini smuggles seeds for a secret garden "
        "while the Water Authority's commissioner Livia Sforza hunts him."
    )
    assert _people(idea)["Livia Sforza"] == ("rival", ("Water Authority's commissioner",))


def test_a_clause_opener_before_a_capitalised_event_describes_no_rival() -> None:
    """ "before the Lantern Regatta while the Warden hunts her": the event is no description."""
    idea = (
        "Mara Quill, a lighthouse keeper on Skellig Rock, must find the smuggled ledger before "
        "the Lantern Regatta while the Warden hunts her."
    )
    assert _people(idea)["the Warden"] == ("rival", ())


@pytest.mark.parametrize(
    ("idea", "hero", "words"),
    [
        # The one the idea gives the hero's role, not the famous name describing them.
        (
            "明朝永乐年间，郑和船队的年轻水手阿福在南洋发现了一座不存在于海图上的岛屿。",
            "阿福",
            ("年轻水手",),
        ),
        # 探长/v to the tagger, and 舟/ns the name's last character.
        ("1923年的上海法租界，巡捕房华人探长陆沉舟追查一起洋行大班被杀案。", "陆沉舟", ("探长",)),
        # 赛博/nr: cyberpunk, no one.
        (
            "赛博朋克风格的新港市，义体医生顾九在黑市为一个逃亡的仿生人修复记忆芯片。",
            "顾九",
            ("义体医生",),
        ),
        # 墨家: a school, no role ending in 家.
        (
            "战国末年，墨家弟子荆轲之后的少年剑客高渐离，为了替好友复仇，潜入秦王宫。",
            "高渐离",
            ("少年剑客",),
        ),
        ("二十年后，三十岁的秦朗已是远近闻名的木匠师傅。", "秦朗", ("木匠师傅",)),  # 师傅: a role
        (
            "In a post-flood Bangkok of 2070, a teenage diver named Ploy salvages valuables.",
            "Ploy",
            ("teenage diver",),
        ),
    ],
)
def test_the_hero_the_idea_gives_the_role(idea: str, hero: str, words: tuple[str, ...]) -> None:
    assert _people(idea)[hero] == ("hero", words)


def test_a_place_after_home_is_no_person_and_a_city_keeps_its_end() -> None:
    """老家 + 湘西: home ends in 家, and is no title; 新港/ns + 市: one place."""
    kinds = _kinds("大学生林小满暑假回到老家湘西，发现奶奶留下的日记里藏着一个秘密。")
    assert "湘西" not in kinds["person"]
    assert _kinds("赛博朋克风格的新港市，义体医生顾九在黑市修复记忆芯片。")["place"][0] == "新港市"


def test_a_rival_in_apposition_who_hides_what_the_hero_seeks() -> None:
    idea = (
        "After the Mars colony's water recycler fails, engineer Dev Patel has thirty days to fix "
        "it while the colony director, Irena Sokolova, hides the real numbers."
    )
    assert _people(idea)["Irena Sokolova"] == ("rival", ("colony director",))


def test_twins_the_idea_opens_with_share_a_surname_and_one_is_the_hero() -> None:
    idea = "Twin brothers Kwame and Kofi Mensah run rival food stalls in Accra."
    assert _people(idea) == {"Kwame Mensah": ("hero", ()), "Kofi Mensah": (None, ())}


def test_a_name_split_by_the_tagger_takes_its_last_character_once() -> None:
    """Past the tagger's first 80 characters (no hidden Markov model) 林舟 is 林/ng + 舟/ns: the
    name is 林舟, whose 舟 a one-character place after a name must not add twice (林舟舟)."""
    text = "A feedback that renames a person by the name the codex has for them, " * 2
    people = _people(text + "“陈默改叫林舟”, whatever their role.")
    assert "林舟舟" not in people


def test_a_name_the_tagger_took_for_a_day_after_a_role() -> None:
    """外卖小哥 + 周一/t + 鸣: 周一鸣 is the hero (he was a Monday, and his boss the hero)."""
    idea = (
        "现代都市，外卖小哥周一鸣意外获得了读心术，却发现自己的老板张总正在策划一场针对他的阴谋。"
    )
    people = _people(idea)
    assert people["周一鸣"] == ("hero", ("外卖小哥",))
    assert people["张总"][0] == "rival"
    assert "周一" not in _kinds(idea).get("time", [])
    # A day after a title and no character after it stays a day.
    assert "周一" in _kinds("队长周一，在码头等人。").get("time", [])


@pytest.mark.parametrize(
    ("idea", "person", "words"),
    [
        (
            "修仙世界里，废柴少年叶凡被逐出青云宗，三年后要向宗主林天啸讨回公道。",
            "林天啸",
            ("宗主",),
        ),
        (
            "A disillusioned war photographer, Nadia Karimi, returns to Kabul in 2021.",
            "Nadia Karimi",
            ("disillusioned war photographer",),
        ),
    ],
)
def test_roles_and_titles_the_lexicon_lacked(
    idea: str, person: str, words: tuple[str, ...]
) -> None:
    assert _people(idea)[person][1] == words


@pytest.mark.parametrize(
    ("idea", "person", "said"),
    [
        # 老大/a, 师爷/nr to the dictionary: a title is a noun before a name.
        (
            "一九八零年代的香港，警察卧底阿杰潜伏在黑帮老大韩琛身边十年。",
            "韩琛",
            (None, ("黑帮老大",)),
        ),
        (
            "景泰年间的北京，锦衣卫百户沈炼追查毒杀案，东厂督主曹少钦却处处设下陷阱。",
            "曹少钦",
            ("rival", ("东厂督主",)),
        ),
        # 对头: a word that marks the rival.
        (
            "清末的天津卫，说书人马三立救下了徒弟，对头是衙门里的师爷钱如海。",
            "钱如海",
            ("rival", ("衙门里的师爷",)),
        ),
        # "Chief" opens the name the idea gives, no part of it.
        (
            "The heir to a shipping fortune, Ade Bankole, fakes his own death to escape his uncle, "
            "Chief Olu Bankole, who wants him married off.",
            "Olu Bankole",
            ("rival", ("uncle",)),
        ),
    ],
)
def test_titles_the_dictionary_tags_otherwise(idea: str, person: str, said: _Person) -> None:
    assert _people(idea)[person] == said


def test_a_year_in_chinese_numerals_and_no_place_of_an_event() -> None:
    assert _kinds("一九八零年代的香港，警察卧底阿杰潜伏十年。")["time"] == ["一九八零年代"]
    kinds = _kinds("一九八七年的那场矿难中，于海生和另外十一名矿工一起遇难。")
    assert kinds["time"] == ["一九八七年"] and "place" not in kinds  # 那场矿难中: an event


def test_a_count_and_a_measure_open_no_name() -> None:
    """一 + 张嘴/nr: a mouth, no one named 张嘴."""
    assert "张嘴" not in _people("说书人马三立靠一张嘴救下了被冤枉的徒弟。")


def test_a_title_opens_a_person_not_a_place() -> None:
    idea = (
        "A runaway princess, Elowen of Carrow, disguises herself before her wedding to Lord Varic."
    )
    assert "Lord Varic" in _people(idea)
    # A place noun closing it keeps it a place (its title is cut off before, as it was).
    assert _kinds("A diver is stranded on Lord Howe Island.")["place"] == ["Howe Island"]
    assert "object" not in _kinds("Ade Bankole fakes his own death to escape his uncle.")


@pytest.mark.parametrize(
    ("idea", "person", "words"),
    [
        (
            "嘉庆年间的泉州，造船匠人许阿顺要造好一艘福船；帮他的是从漳州来的老舵工林伯。",
            "林伯",
            ("老舵工", "漳州来的"),
        ),
        (
            "Tomas Reyes must stop the Bishop; his only ally is Sister Ines, a nun from Cordoba.",
            "Sister Ines",
            ("from Cordoba",),
        ),
    ],
)
def test_a_person_keeps_where_the_idea_says_they_come_from(
    idea: str, person: str, words: tuple[str, ...]
) -> None:
    """漳州 had been said in no stage nor chapter: the card of 林伯 read only 老舵工."""
    assert _people(idea)[person] == (None, words)
