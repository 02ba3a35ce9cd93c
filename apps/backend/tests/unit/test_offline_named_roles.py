# ruff: noqa: RUF001 - Chinese text uses full-width punctuation on purpose
"""Issue 69, the last walk's misses, each by rule: the role an idea gives its named hero is
kept whatever the word (a hyphenated "night-tram driver"); every object is a thing of the world
and of the character the idea ties it to; the rival is the one a word marks (nemesis, 宿敌),
not the second named; a country before a person (日本商人, a Japanese trader) describes them
and is no place; a title is no part of a name (Captain Hollis Wren is Hollis Wren)."""

from typing import Any
from uuid import UUID

import pytest

from infinite_scribe.agents.llm.offline.generator import draft
from infinite_scribe.agents.llm.offline.words import CHINESE, ENGLISH
from infinite_scribe.agents.llm.port import GenerationRequest
from infinite_scribe.text import named, reading_en, reading_zh, segment
from infinite_scribe.text.codex_reading import read_codex
from shared_types.enums import GenesisStage
from tests.support.codex_ideas import GLASS, TRAIN

LISBON = (
    "In 1920s Lisbon, Inês Duarte, a night-tram driver, finds a violin in the depot; her "
    "enemy Captain Hollis Wren wants it."
)
DALIAN = (
    "宣统二年的大连，码头工人秦小满从一个日本商人手里买下一张海图，老船长陆九公劝他交出去，"
    "宿敌白三爷却带着一把左轮枪在港口等他。"
)


def _cast(text: str, stage: GenesisStage = GenesisStage.CHARACTERS) -> Any:
    segment.warm()
    words = CHINESE if any("\u4e00" <= c <= "\u9fff" for c in text) else ENGLISH
    request = GenerationRequest(UUID(int=6900), stage, {}, user_input=text)
    return draft(request, words).model_dump(mode="json")


@pytest.mark.parametrize(
    ("text", "role", "name"),
    [
        (LISBON, "night-tram driver", "Inês Duarte"),
        ("In 1955 Havana, Rosa Delgado, a cigar roller, keeps a pearl necklace.", "cigar roller",
         "Rosa Delgado"),
        ("In 1961 Berlin, a piano tuner named Lotte Weiss carries a coded score.", "piano tuner",
         "Lotte Weiss"),
        ("In 1920 Dublin, the printer Michael Doyle sets a forbidden pamphlet.", "printer",
         "Michael Doyle"),
        (GLASS, "glassblower", "Odile Marchetti"),
        (TRAIN, "night-train conductor", "Tomas Ferreira"),
    ],
)  # fmt: skip
def test_the_role_an_idea_gives_its_named_hero_is_kept(text: str, role: str, name: str) -> None:
    facts = reading_en.read(text)
    assert (facts.hero, facts.hero_name) == (role, name)
    hero = _cast(text)["characters"][0]
    assert hero["name"] == name and role in hero["description"], hero


@pytest.mark.parametrize(
    ("text", "place", "event"),
    [
        (GLASS, "Murano", "has until the Feast of the Redeemer to repair"),
        (TRAIN, "Lisbon", "must deliver a sealed letter before All Saints Day"),
    ],
)
def test_the_place_of_a_role_in_apposition_is_a_place_and_no_part_of_the_event(
    text: str, place: str, event: str
) -> None:
    """The hand walk of issue 76: "Odile Marchetti, a glassblower in Murano," and "Tomas
    Ferreira, a night-train conductor out of Lisbon," gave no role (the premise said "a stranger
    Odile Marchetti, a glassblower in Murano, has until ...")."""
    facts = reading_en.read(text)
    assert facts.place == place and place in facts.places
    assert facts.event is not None and facts.event.startswith(event), facts.event


def test_a_decade_before_a_place_leaves_the_place() -> None:
    assert "Lisbon" in named.read(LISBON, False).places


@pytest.mark.parametrize(
    ("text", "thing"),
    [
        (LISBON, "violin"),
        ("In 1908 Genoa, Tomas Ferrer, a dock-crane operator, buys an ivory compass.",
         "ivory compass"),
        (DALIAN, "海图"),
        (DALIAN, "左轮枪"),
        ("码头工人秦小满买下一把铜钥匙。", "铜钥匙"),
    ],
)  # fmt: skip
def test_every_object_is_a_thing_of_the_world_and_of_its_holder(text: str, thing: str) -> None:
    chinese = "\u4e00" <= text[0] <= "\u9fff"
    assert any(thing in found for found in named.read(text, chinese).things)
    # Issue 76: on its holder's card (the cast), never pasted into the world as a list.
    assert thing in str(_cast(text))


def test_an_object_is_tied_to_the_character_the_idea_ties_it_to() -> None:
    cards = {card["name"]: card["description"] for card in _cast(DALIAN)["characters"]}
    assert "海图" in cards["秦小满"] and "左轮枪" not in cards["秦小满"], cards
    assert "左轮枪" in cards["白三爷"], cards
    cards = {card["name"]: card["description"] for card in _cast(LISBON)["characters"]}
    assert "violin" in cards["Inês Duarte"], cards


@pytest.mark.parametrize(
    ("text", "rival"),
    [
        (DALIAN, "白三爷"),
        ("In 1908 Genoa, Tomas Ferrer meets the harbourmaster Diego Soto; his nemesis, "
         "Commodore Ruth Calloway, waits.", "Ruth Calloway"),
        ("In 1890 Paris, Anne Roy meets the baker Paul Gris, and Marc Vidal, her old enemy, "
         "comes back.", "Marc Vidal"),
        ("1936年的哈尔滨，巡警白露遇见老师陈远，仇人马六也回来了。", "马六"),
        ("1936年的哈尔滨，巡警白露遇见老师陈远，马六是白露的对手。", "马六"),
    ],
)  # fmt: skip
def test_the_rival_is_the_one_a_word_marks(text: str, rival: str) -> None:
    assert _cast(text)["characters"][1]["name"] == rival


@pytest.mark.parametrize(
    ("text", "place", "attribute"),
    [
        (DALIAN, "大连", "日本"),
        ("光绪年间，商人李四在日本开了一家茶馆。", "日本", None),
        ("In 1908 Genoa, Tomas Ferrer buys an ivory compass from a Japanese trader.", "Genoa",
         "Japanese"),
        ("In 1890 Japan, Tomas Ferrer buys an ivory compass.", "Japan", None),
    ],
)  # fmt: skip
def test_a_country_before_a_person_describes_them_and_is_no_place(
    text: str, place: str, attribute: str | None
) -> None:
    locations = [loc["name"] for loc in _cast(text, GenesisStage.WORLDVIEW)["locations"]]
    assert place in locations
    assert attribute is None or not any(attribute in name for name in locations), locations


def test_a_title_is_no_part_of_a_name_and_stays_with_its_card() -> None:
    assert "Hollis Wren" in named.read(LISBON, False).people
    foe = _cast(LISBON)["characters"][1]
    assert foe["name"] == "Hollis Wren" and "Captain" in foe["description"], foe


@pytest.mark.parametrize(
    "feedback", ["It needs a darker tone.", "This lacks a real climax.", "It feels a bit slow."]
)
def test_what_a_feedback_says_of_the_draft_is_no_thing(feedback: str) -> None:
    assert named.read(feedback, False).things == ()


def test_a_rival_named_first_is_not_the_hero() -> None:
    text = "In 1890 Paris, Marc Vidal, her old enemy, waits; Anne Roy, a baker, hides a letter."
    cast = [card["name"] for card in _cast(text)["characters"]]
    assert cast[:2] == ["Anne Roy", "Marc Vidal"], cast


def test_a_place_is_one_noun_phrase() -> None:
    """A second article opens another phrase: "In the end the lighthouse keeper brings out the
    truth" (the stock's synopsis, read back) names no place."""
    assert reading_en.read("In the end the lighthouse keeper brings out the truth.").places == ()
    assert reading_en.read("A keeper in the vault of the old lighthouse.").places == (
        "vault of the old lighthouse",
    )


def test_a_year_before_a_place_and_a_verb_after_a_name_leave_the_place_alone() -> None:
    """The last walk of a new idea: "In 1911 Valparaíso" lost the city to its year, and "a
    lighthouse on Cerro Alegre keeps the log" made "Cerro Alegre keeps" the story's place."""
    text = (
        "In 1911 Valparaíso, Marta Quispe, a harbour pilot, finds a sealed brass chronometer. "
        "A lighthouse on Cerro Alegre keeps the ship's last log."
    )
    facts = reading_en.read(text)
    assert facts.place == "Valparaíso"
    assert facts.places == ("Valparaíso", "Cerro Alegre")
    # A named phrase still takes a place noun or a connector after it.
    assert reading_en.read("She lands in New York harbour.").places == ("New York harbour",)
    assert reading_en.read("She lands on Isla de Pascua at dawn.").places == ("Isla de Pascua",)


@pytest.mark.parametrize(
    ("text", "time", "place"),
    [
        ("In 1850s Cornwall, Jory Penrose, a tin miner, must clear his debt before the Lammas "
         "Fair.", "the Lammas Fair", "Cornwall"),
        ("In 1902 Cowes, Ada Finch, a sailmaker, has until the Cowes Regatta to finish a sail.",
         "the Cowes Regatta", "Cowes"),
        ("In 1820 York, Tom Hale, a groom, must win the purse by the Ebor Races.",
         "the Ebor Races", "York"),
    ],
)  # fmt: skip
def test_an_event_named_after_a_word_of_time_is_a_time_not_the_place(
    text: str, time: str, place: str
) -> None:
    """Issue 76's last walk: "before the Lammas Fair" made the fair the story's place. An event
    named by capitalised words is a time after a word of time (before, until, by), and stays a
    place after one of place ("at the World's Fair", issue 69's corpus)."""
    found = named.read(text, False)
    assert time in found.times and not any("Fair" in p or "Regatta" in p or "Races" in p
                                           for p in found.places), found  # fmt: skip
    facts = reading_en.read(text)
    assert facts.place == place, facts


def test_an_event_after_a_word_of_place_stays_a_place() -> None:
    text = "In 1893 Chicago, Nellie Brandt hides a stolen ledger at the World's Fair."
    assert "World's Fair" in " ".join(named.read(text, False).places)


BATH = (
    "Before the Michaelmas Assizes, Hester Vane, a midwife in 1780s Bath, must prove that the "
    "surgeon Ambrose Kell poisoned a countess."
)


def test_an_event_opening_the_idea_is_a_time_and_a_person_by_a_role_word_is_no_thing() -> None:
    """A walk of new ideas (stop 85): "Before the Michaelmas Assizes" opened the idea (a capital
    preposition) and the assizes became an object; "poisoned a countess" made a countess an
    object of the story (a word for a person is never a thing)."""
    found = named.read(BATH, False)
    assert "the Michaelmas Assizes" in found.times, found
    assert not any("countess" in thing or "Assizes" in thing for thing in found.things), found


def test_a_decade_is_told_with_its_article() -> None:
    """The same walk: "In 1780s, in Bath, Hester Vane ..." (a decade takes "the")."""
    concepts = _cast(BATH, GenesisStage.CONCEPT_SELECTION)["concepts"]
    assert all("1780s" not in c["logline"] or "the 1780s" in c["logline"] for c in concepts)
    assert any("the 1780s" in c["logline"] for c in concepts), concepts[0]["logline"]


JINGDEZHEN = (
    "成化年间的景德镇，窑工之女沈青禾要在万寿节前烧出一只完美的斗彩鸡缸杯，督陶官冯保却想把功劳"
    "据为己有。"
)


def test_a_festival_and_an_era_are_times_and_an_officials_title_is_no_name() -> None:
    """A walk of new ideas (stop 85): 万寿节 (before which the cup is due) was a person, the
    era 成化 was cut from 成化年间, and the title 督陶官 gave a person 陶官."""
    segment.warm()
    found = named.read(JINGDEZHEN, True)
    assert "万寿节" in found.times and "成化年间" in found.times, found
    assert set(found.people) == {"沈青禾", "冯保"}, found


def test_a_daughter_of_a_trade_is_the_hero_where_and_when_without_the_reign() -> None:
    """The same walk: the hero was 窑工 and the event opened on 之女 (一名窑工沈青禾之女沈青禾
    in the logline); the place was 成化年间的景德镇."""
    segment.warm()
    facts = reading_zh.read(JINGDEZHEN)
    assert (facts.hero, facts.hero_name) == ("窑工之女", "沈青禾"), facts
    assert (facts.place, facts.time) == ("景德镇", "成化年间"), facts
    assert facts.event is not None and not facts.event.startswith("之"), facts


@pytest.mark.parametrize(
    "text",
    [
        "Jonah Pike takes the blame for a fire he did not start and must find the arsonist "
        "before the Winter Fair.",
        "Ada Moss must tell the truth before the trial, or risk the fault falling on her son.",
        "Cal Reyes must unmask the traitor and expose the forger who framed his sister.",
    ],
)
def test_an_abstract_word_or_a_word_for_a_person_is_no_thing(text: str) -> None:
    """The last walk (stop 85): "takes the blame" made "the blame" an object of the story,
    "find the arsonist" a second one: a word for a person, or for no thing one can hold, is not
    a thing the writer named (their kinds are data: `reading.roles`, `reading.abstracts`)."""
    found = named.read(text, False)
    said = " ".join(found.things)
    for word in ("blame", "arsonist", "truth", "fault", "traitor", "forger"):
        assert word not in said, found


def test_a_fjord_is_a_place_and_an_epithet_for_a_person_is_no_thing() -> None:
    """A walk after stop 85: "a ferry pilot on the Hardanger fjord" made the place "the
    Hardanger" (a natural feature's noun is a place noun: `reading.place_nouns`), and "the
    Harbourmaster wants it sunk" an object of the story (a word for a person, by a role's
    ending too, `reading.epithet_ends`, is a person, never a thing)."""
    text = (
        "Maren Solberg, a ferry pilot on the Hardanger fjord, must bring a stolen church bell "
        "home before the midsummer fair; the Harbourmaster wants it sunk."
    )
    found = named.read(text, False)
    assert "the Hardanger fjord" in found.places, found
    assert "the Harbourmaster" in found.people and "the Harbourmaster" not in found.things, found
    assert "Lena Marsh" in named.read("Lena Marsh sails home.", False).people  # no marsh


@pytest.mark.parametrize(
    ("text", "time"),
    [
        ("Maren Solberg must bring the bell home before the midsummer fair.", "the midsummer fair"),
        ("Ada Moss must find the ring before the wedding.", "the wedding"),
        ("Cal Reyes has until the trial to find the witness.", "the trial"),
    ],
)
def test_an_event_said_in_lower_case_before_a_deadline_word_is_the_deadline(
    text: str, time: str
) -> None:
    """The same walk: "before the midsummer fair" was no time at all (only capitalised events
    were read), so the story had no deadline. An event noun (`reading.event_nouns`) after a
    word of a deadline is one, with the words before it."""
    codex = read_codex(text)
    assert [(e.name, e.role) for e in codex.of_kind("time")] == [(time, "deadline")], codex
    assert time not in [e.name for e in codex.of_kind("object")]


SKELLIG = (
    "In 1911{comma} Aoife Rooney keeps the lighthouse on Skellig Rock with her rival, the harbour "
    "master Declan Furey, who wants the light sold to the Congested Districts Board."
)


@pytest.mark.parametrize("comma", ["", ","])
def test_a_name_before_its_verb_is_the_subject_and_a_rivals_role_and_want_are_his(
    comma: str,
) -> None:
    """A walk of the offline writer: with no comma after the year, "In 1911 Aoife Rooney keeps"
    made Aoife Rooney the story's place (a name directly before its verb is the subject); with
    one, the rival's apposition ("her rival, the harbour master Declan Furey, who wants ...")
    gave the hero his role and his want. Unsure of the hero's role, the reader gives none."""
    idea = SKELLIG.format(comma=comma)
    facts = reading_en.read(idea)
    assert "Aoife Rooney" not in facts.places and facts.place == "Skellig Rock", facts
    assert facts.hero_name in (None, "Aoife Rooney") and facts.hero != "harbour master", facts
    assert not (facts.event or "").startswith("wants"), facts
    people = {e.name: (e.role, e.words) for e in read_codex(idea).entries if e.kind == "person"}
    assert people == {"Aoife Rooney": ("hero", ()), "Declan Furey": ("rival", ("harbour master",))}
    concept = _cast(idea, GenesisStage.CONCEPT_SELECTION)["concepts"][0]["logline"]
    assert "in Aoife Rooney" not in concept and "Rooney, a harbour master" not in concept


@pytest.mark.parametrize(
    ("text", "said"),
    [
        (SKELLIG.format(comma=","), "Aoife Rooney, of Skellig Rock."),
        ("1930年的上海，沈青在一家当铺里发现了一张旧船票。", "沈青，身在上海。"),
    ],
)
def test_a_named_hero_whose_role_is_not_read_is_given_none(text: str, said: str) -> None:
    """The walk's card said "Aoife Rooney, the stranger of Skellig Rock" of the woman who keeps
    its lighthouse ("沈青, 上海的陌生人" in Chinese): the reader read no role, and the card made
    one up. A hero the writer named and gave no role the reader understood is said where they
    are."""
    hero = _cast(text)["characters"][0]
    assert hero["description"].startswith(said), hero  # a thing they hold may follow
    assert "stranger" not in hero["description"] and "陌生人" not in hero["description"]


def test_a_trades_verb_after_the_name_makes_the_name_the_subject() -> None:
    """A walk (stop 95): "In 1887 Marisol Quintana repairs clocks in Valdivia" made the hero the
    story's place, as "keeps" did before it was a verb of the lexicon (a data line now)."""
    facts = reading_en.read(
        "In 1887 Marisol Quintana repairs clocks in Valdivia, and her rival, the notary Anselm "
        "Brecht, wants her workshop seized before the winter flood."
    )
    assert (facts.hero_name, facts.place, facts.places) == (
        "Marisol Quintana",
        "Valdivia",
        ("Valdivia",),
    )


@pytest.mark.parametrize(
    ("feedback", "wished"),
    [
        # Where she is from is her words, no part of the wish (stop 96: the note said "added
        # Sigrun Vik from Stavanger" was not shown, her card showing both).
        ("Add Inés Arancibia from Chiloé, who carries letters across the sound.",
         ("Inés Arancibia",)),
        ("Add Mara Finch, a smuggler from Cork, who owes the hero money.", ("Mara Finch",)),
    ],
)  # fmt: skip
def test_a_relative_clause_in_an_add_feedback_is_no_wish_of_its_own(
    feedback: str, wished: tuple[str, ...]
) -> None:
    """A walk (stop 95): "who carries letters across the sound" was read as a second thing to
    add, and the note said it was not shown; a relative clause says more of what it follows."""
    assert reading_en.read_feedback(feedback).elements == wished


def test_lives_after_a_name_makes_the_name_the_subject() -> None:
    assert reading_en.read("In 1887 Ines Arancibia lives in Chiloe").places == ("Chiloe",)
