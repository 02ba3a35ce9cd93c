# ruff: noqa: RUF001 - Chinese text uses full-width punctuation on purpose
"""The offline continuity reader (issue 48): its rules are data, read once; each fact keeps the
exact sentence it came from; a negation, a doubt or a memory is not a fact."""

import pytest

from infinite_scribe.text import vocabulary
from infinite_scribe.text.reader import Known, read_chapter
from infinite_scribe.text.rules import compiled, data, required

EN = Known({"Mara Quinn": "Mara Quinn", "Mara": "Mara Quinn", "Ilya": "Ilya Brandt"})
ZH = Known({"林舟": "林舟", "苏晚": "苏晚"}, ["灯塔"])


def facts(language: str, text: str, known: Known) -> list[tuple[str, ...]]:
    return [
        tuple(str(f.get(k)) for k in ("kind", "who", "attribute", "value") if k in f)
        for f in read_chapter(language, text, known)["facts"]
    ]


def test_the_rules_file_has_every_section_in_both_languages() -> None:
    sections = {"death", "missing", "alive", "acts", "traits", "vows", "payoffs", "sentence"}
    for language in ("en", "zh"):
        assert sections <= set(data()[language]), language
        assert set(data()[language]["traits"]) >= {"hair", "eyes", "age", "profession", "relation"}
        compiled(language, ("Mara",))  # every pattern compiles
    assert {lang: vocabulary.document(lang)["continuity"] for lang in ("en", "zh")} == data()


@pytest.mark.parametrize(
    ("pattern", "needs"),
    [
        ("{name}{gap}was killed", "was killed"),
        ("killed {name}", "killed "),
        ("{name}{gap}断了气", "断了气"),
        ("{name}(?:今年|已经)?{value}岁", "岁"),
        ("{name}, {value}(?: years old|-year-old|,)", ""),
        ("(?:a|b) {name}", ""),
    ],
)
def test_a_pattern_needs_its_literal_text(pattern: str, needs: str) -> None:
    assert required(pattern) == needs


def test_deaths_with_their_sentence_and_not_the_doubted_ones() -> None:
    text = (
        "Ilya, the old doctor, died at dawn. Mara almost died. They thought Mara was dead. "
        "If Mara died, who would sail?"
    )
    found = read_chapter("en", text, EN)["facts"]
    assert [(f["who"], f["value"], f["quote"]) for f in found] == [
        ("Ilya Brandt", "dead", "Ilya, the old doctor, died at dawn.")
    ]
    assert facts("zh", "林舟差点死了。大家都以为林舟死了。林舟在灯塔下断了气。", ZH) == [
        ("status", "林舟", "dead")
    ]


def test_acts_here_and_now_but_not_remembered_ones() -> None:
    text = 'Mara remembered how Ilya laughed. "Go," said Ilya. At the grave Ilya smiled in a dream.'
    assert facts("en", text, EN) == [("act", "Ilya Brandt")]
    assert facts("zh", "苏晚回忆起林舟笑着的样子。林舟推开门，说：“走吧。”", ZH) == [
        ("act", "林舟")
    ]


def test_traits_in_both_languages_with_canonical_values() -> None:
    text = (
        "Mara's golden hair was wet. Mara, 32 years old, climbed. Mara was a surgeon. "
        "Mara was Ilya's sister."
    )
    assert facts("en", text, EN) == [
        ("trait", "Mara Quinn", "hair", "blond"),
        ("trait", "Mara Quinn", "age", "32"),
        ("trait", "Mara Quinn", "profession", "doctor"),
        ("trait", "Mara Quinn", "relation:Ilya Brandt", "sister"),
    ]
    zh = "林舟有一头火红的长发。二十三岁的林舟是一名法医。苏晚是林舟的妹妹。"
    # A sentence's traits by kind (text/looks.py: the age) follow its phrase patterns'.
    assert facts("zh", zh, ZH) == [
        ("trait", "林舟", "hair", "red"),
        ("trait", "林舟", "profession", "coroner"),
        ("trait", "林舟", "age", "23"),
        ("trait", "苏晚", "relation:林舟", "sister"),
    ]


def test_new_english_names_and_the_places_seen() -> None:
    read = read_chapter("en", "Tom Reed died at dawn. The rain died down.", EN)
    assert read["new"] == ["Tom Reed"] and read["seen"] == ["Tom Reed"]
    assert read_chapter("zh", "林舟走向灯塔。", ZH)["places"] == ["灯塔"]


def test_a_vow_and_its_payoff() -> None:
    planted = read_chapter("en", "Mara vowed to find the lost compass of her father.", EN)
    # Vowing is an act too (issue 78: any verb after the name): the thread is the vow's fact.
    [thread] = [f for f in planted["facts"] if f["kind"] != "act"]
    assert (thread["kind"], thread["text"]) == ("thread", "find the lost compass of her father")
    known = Known(EN.names, threads=[("t1", thread["text"])])
    paid = read_chapter("en", "At last Mara found the lost compass of her father.", known)
    assert [f["thread"] for f in paid["facts"] if f["kind"] == "payoff"] == ["t1"]
    unrelated = read_chapter("en", "At last Mara found a warm bed.", known)
    assert [f for f in unrelated["facts"] if f["kind"] == "payoff"] == []


def acts_of(language: str, text: str, known: Known) -> list[str]:
    return [f["who"] for f in read_chapter(language, text, known)["facts"] if f["kind"] == "act"]


def test_an_act_is_any_verb_after_the_name_not_a_phrase() -> None:
    """Issue 78: a name and a verb (listed, irregular, any -ed word; a speech verb before the
    name), through a pronoun right after it; not a verb of dying, nor a quoted 'not'."""
    assert acts_of("en", "Ilya knitted by the window.", EN) == ["Ilya Brandt"]
    assert acts_of("en", "Ilya strode up the gangway.", EN) == ["Ilya Brandt"]
    assert acts_of("en", "'Not now,' snapped Ilya.", EN) == ["Ilya Brandt"]
    assert acts_of("en", "They looked at Ilya as he rose.", EN) == ["Ilya Brandt"]
    known = Known({"Ilya Brandt": "Ilya Brandt", "Ilya": "Ilya Brandt"})
    assert acts_of("en", "Ilya was in the garden when she called.", known) == ["Ilya Brandt"]
    assert acts_of("en", "Ilya succumbed to the fever.", EN) == []
    assert acts_of("en", "Ilya never returned the book.", EN) == []


def test_a_chinese_act_is_the_word_the_tagger_reads_as_a_verb() -> None:
    assert acts_of("zh", "苏晚拎着公文包走进会议室。", ZH) == ["苏晚"]
    assert acts_of("zh", "苏晚慢慢走了进来。", ZH) == ["苏晚"]  # past an adverb
    assert acts_of("zh", "苏晚在酒肆里拍着桌子。", ZH) == ["苏晚"]  # past a place
    assert acts_of("zh", "苏晚在门口低声说：“还不到时候。”", ZH) == ["苏晚"]  # and a manner
    assert acts_of("zh", "苏晚在门口的石阶下。", ZH) == []
    assert acts_of("zh", "苏晚是个医生。", ZH) == []
    assert acts_of("zh", "墙上挂着苏晚的遗像。", ZH) == []


@pytest.mark.parametrize(
    ("language", "text"),
    [
        ("en", "Mara Quinn went to meet her maker in the winter."),
        ("en", "The light left Mara Quinn's eyes."),
        ("en", "The whole village turned out for Mara Quinn's funeral."),
        ("en", "Uncle Ilya finally kicked the bucket."),
        ("en", "Deep in the night Mara quietly slipped away."),
        ("zh", "苏晚撒手人寰的那天夜里，下了一场大雪。"),
        ("zh", "苏晚老师是在去年九月去世的。"),
        ("zh", "今天是苏晚的头七。"),
        ("zh", "苏晚下葬那天，全村的人都来了。"),
        ("zh", "手术之后，苏晚就再也没有睁开眼睛。"),
    ],
)
def test_a_death_is_a_name_and_an_expression_of_dying(language: str, text: str) -> None:
    known = EN if language == "en" else ZH
    dead = [f for f in read_chapter(language, text, known)["facts"] if f["kind"] == "status"]
    assert [f["value"] for f in dead] == ["dead"], text


@pytest.mark.parametrize(
    ("language", "text"),
    [
        ("en", "Mara almost died when the boat capsized."),
        ("zh", "苏晚在那场大火中险些丧命。"),
        ("zh", "苏晚在台上演霸王，最后自刎乌江。"),
        ("zh", "长剑刺向苏晚，他当场毙命。"),
        ("zh", "林舟坐在父亲的坟前。"),  # another's grave
        ("zh", "林舟说王大爷撒手人寰了。"),  # a death told
        ("en", "Mara said everyone died."),
    ],
)
def test_a_death_doubted_played_or_anothers_is_none(language: str, text: str) -> None:
    known = EN if language == "en" else ZH
    assert [f for f in read_chapter(language, text, known)["facts"] if f["kind"] == "status"] == []


def test_each_language_says_dying_in_a_hundred_ways_at_least() -> None:
    for language in ("en", "zh"):
        assert len(data()[language]["dies"]) + len(data()[language]["death"]) >= 100, language


def test_a_pronoun_in_a_sentence_naming_nobody_is_the_one_named_before() -> None:
    known = Known(dict(EN.names) | {"Ilya Brandt": "Ilya Brandt"})
    text = "Ilya's chair stood by the hearth. That evening he sat down in it."
    assert acts_of("en", text, known) == ["Ilya Brandt"]
    two = "Mara wept beside Ilya. That evening he sat down by the fire."
    assert acts_of("en", two, known) == ["Mara Quinn"]  # two named before: "he" is no one's


@pytest.mark.parametrize(
    ("language", "text"),
    [
        # A burial verb in any form before the name.
        ("en", "They gathered on the hill to bury Mara Quinn."),
        ("en", "The monks were burying Mara Quinn when the rain came."),
        ("en", "At dusk they laid Mara Quinn out on the kitchen table."),
        # A death idiom followed by when it happened.
        ("en", "Mara Quinn slipped away before dawn with the curtains still drawn."),
        # A participle of death in apposition, no verb "was".
        ("en", "The list was short: Sergeant Mara Quinn, slain at the bridge."),
        # A long clause, then a phrase of dying.
        (
            "en",
            "Mara Quinn was pinned beneath the fallen mast through the long night "
            "and did not live to see the dawn.",
        ),
        ("en", "Mara Quinn was laid in the family vault."),
        # The dead one buried as "him" or "her" by their own people.
        (
            "en",
            "Mara Quinn went down at the river with a lance in her side, and her troopers "
            "buried her on the bank.",
        ),
        # A rank before a known name; a doubt of another clause (before a semicolon).
        ("en", "Captain Ilya fell at the ford, and his men buried him there."),
        ("en", "The doctor could not come in time; they laid Mara Quinn out in the parlour."),
        # A manner of dying and 亡; an idiom of beheading; a lifetime gone; no way out alive.
        ("zh", "苏晚在湖边失足溺亡。"),
        ("zh", "午时三刻，苏晚在刑场上人头落地。"),
        ("zh", "苏晚生前最爱这片海。"),
        ("zh", "苏晚被困在火场里，没能活着出来。"),
        ("zh", "苏晚被马车撞倒，当夜就没了。"),
    ],
)
def test_a_death_said_by_kind(language: str, text: str) -> None:
    known = EN if language == "en" else ZH
    dead = [f for f in read_chapter(language, text, known)["facts"] if f["kind"] == "status"]
    assert [f["value"] for f in dead] == ["dead"], text


def test_a_body_found_is_its_owners_death_not_the_finders() -> None:
    said = facts("zh", "林舟在河边找到了苏晚的尸首。", ZH)
    assert [f for f in said if f[0] == "status"] == [("status", "苏晚", "dead")]


def test_a_death_reported_then_disproved_is_none() -> None:
    text = "News spread that Mara Quinn had been killed. The news was false: she had only fainted."
    assert [f for f in facts("en", text, EN) if f[0] == "status"] == []


def test_a_remembrance_counts_before_the_act_not_after_it() -> None:
    assert acts_of("en", "Ilya leaned on the fence and said the harvest would be late.", EN) == [
        "Ilya Brandt"
    ]
    assert acts_of("en", "Ilya typed a letter to his brother.", EN) == ["Ilya Brandt"]
    assert acts_of("en", "In her last letter, Ilya said the harvest was in.", EN) == []
    assert acts_of("en", "Ilya smiled in the photograph.", EN) == []  # a depiction, anywhere
    assert acts_of("zh", "此后人们传说，苏晚还会在月夜里唱歌。", ZH) == []  # a legend


def test_a_chinese_act_past_a_prepositional_phrase() -> None:
    assert acts_of("zh", "苏晚替病人包扎了伤口。", ZH) == ["苏晚"]
    assert acts_of("zh", "苏晚给远在北方的哥哥写了一封信。", ZH) == ["苏晚"]


def test_a_role_word_of_the_passages_only_person_is_them() -> None:
    known = Known({"Mara Quinn": "Mara Quinn"}, cards={"Mara Quinn": "the lighthouse keeper"})
    text = "Mara Quinn's pipe lay on the sill. That evening the old keeper lit it."
    assert acts_of("en", text, known) == ["Mara Quinn"]
    assert acts_of("en", "Mara Quinn's pipe lay there. The new keeper lit it.", known) == []
    known = Known({"Mara Quinn": "Mara Quinn", "General Quinn": "Mara Quinn", "Ilya": "Ilya"})
    text = "Mara Quinn's coat hung there. By noon the general was back at her desk, writing."
    assert acts_of("en", text, known) == ["Mara Quinn"]
    text = "Mara Quinn's coat hung by Ilya's. By noon the general was back at her desk, writing."
    assert acts_of("en", text, known) == []  # two named: no one in particular
    known = Known({"林舟": "林舟"}, cards={"林舟": "镇上的郎中"})
    assert acts_of("zh", "林舟的药箱还在。次日一早，老郎中提着药箱出了门。", known) == ["林舟"]


@pytest.mark.corpus
def test_sixteen_novels_read_in_turn_compile_each_cast_once() -> None:
    """A worker takes many novels' chapters in turn: each cast's rules (60-90 ms to compile)
    stay compiled, not one in eight (bench/continuity_casts.py: 5x the CPU a read)."""
    casts = [
        {f"Wren Tallow{n}": f"Wren Tallow{n}", f"Ivo Marsh{n}": f"Ivo Marsh{n}"} for n in range(16)
    ]
    before = compiled.cache_info().misses
    for _ in range(2):
        for cast in casts:
            read_chapter("en", " ".join(f"{name} smiled." for name in cast), Known(names=cast))
    assert compiled.cache_info().misses - before == len(casts)
