"""Issue 76, English hand walk, second round: ten ideas written before the readers were read
(tests/data/walk_new_ideas_en2.json) and the defects found in them, by kind: each kind is
asserted on sentences of its own, then the ten ideas' expectations (the hero's name and role
words, the rival, the places and the times) on the codex read from each."""

import json
from pathlib import Path
from typing import Any

import pytest

from infinite_scribe.text import reading_en
from infinite_scribe.text.codex_reading import read_codex
from tests.support.codex_ideas import named_as_expected
from tests.support.offline_walk import walk_stages as _walk

_DATA = Path(__file__).parents[1] / "data" / "walk_new_ideas_en2.json"
IDEAS: list[dict[str, Any]] = json.loads(_DATA.read_text(encoding="utf-8"))["ideas"]


def _entries(idea: str) -> list[dict[str, Any]]:
    entries: list[dict[str, Any]] = read_codex(idea).as_json()["entries"]
    return entries


def _people(idea: str) -> dict[str, str | None]:
    return {e["name"]: e["role"] for e in _entries(idea) if e["kind"] == "person"}


def _named(idea: str, kind: str) -> list[str]:
    return [e["name"] for e in _entries(idea) if e["kind"] == kind]


# "against" is a preposition of opposing: the person it takes is the rival, and a kin word
# with "-in-law" or in the plural names the one after it ("his friends Mara and ...").
@pytest.mark.parametrize(
    ("idea", "rival"),
    [
        ("Ada Pike, a jockey, rides the Derby against her old trainer Rex Dolan.", "Rex Dolan"),
        ("Ada Pike, a widow, fights for the mill against her sister-in-law Greta.", "Greta"),
    ],
)
def test_the_person_set_against_the_hero_by_against_is_the_rival(idea: str, rival: str) -> None:
    people = _people(idea)
    assert people.get(rival) == "rival", people
    assert next(iter(people.values())) == "hero"


def test_a_plural_kin_word_names_the_one_after_it() -> None:
    idea = "Ada Pike, a miner, walks to Leeds with her cousins Bea and Young Will."
    assert {"Bea", "Young Will"} <= set(_people("" + idea)), _people(idea)


# A role word at the head of the sentence, capitalised only by the sentence, is the hero's
# role ("Public defender Nadia Okafor", "Aging striker Tom Diaz-Whitfield").
@pytest.mark.parametrize(
    ("idea", "role", "name"),
    [
        (
            "Veteran navigator Ilse Brandt must bring the ship home.",
            "veteran navigator",
            "Ilse Brandt",
        ),
        (
            "Public defender Omar Haddad must free an innocent man.",
            "public defender",
            "Omar Haddad",
        ),
        ("Young striker Lia Moss must win the final.", "young striker", "Lia Moss"),
    ],
)
def test_a_role_at_the_head_of_the_sentence_is_the_heros(idea: str, role: str, name: str) -> None:
    facts = reading_en.read(idea)
    assert (facts.hero, facts.hero_name) == (role, name)


# A noun in -ss is no verb: "the mob boss Vincent" names no thing "the mob".
def test_a_noun_in_double_s_is_no_verb_that_ends_a_thing() -> None:
    idea = "Ada Pike, a clerk, must pay before the crime boss Otto Kessel returns."
    assert "the crime" not in _named(idea, "object"), _entries(idea)


# A word for a person is never a thing ("the killer", "the murderer").
def test_a_word_for_a_person_is_never_a_thing() -> None:
    idea = "Ada Pike, a clerk, must find the murderer of her brother."
    assert not any("murderer" in thing for thing in _named(idea, "object")), _entries(idea)


# A place after a preposition of place such as "beneath" or "under" is a place, and no word
# after the place name ("during") is part of it.
@pytest.mark.parametrize(
    ("idea", "place"),
    [
        (
            "Ada Pike, a thief, digs beneath the Bank of Lisbon during the storm.",
            "Bank of Lisbon",
        ),
        ("Ada Pike, a spy, hides under the Bridge of Sighs until dawn.", "Bridge of Sighs"),
    ],
)
def test_a_place_after_beneath_or_under_is_a_place_and_ends_at_its_name(
    idea: str, place: str
) -> None:
    places = _named(idea, "place")
    assert any(place in p for p in places), _entries(idea)
    assert not any("during" in p or "until" in p for p in places), places
    assert not any(place in thing for thing in _named(idea, "object")), _entries(idea)
    assert not any("during" in p for p in reading_en.read(idea).places)


# A date (a day and a month) is a time, after a word of time the deadline.
@pytest.mark.parametrize(
    ("idea", "time"),
    [
        ("Ada Pike, a lawyer, must file the appeal by 3 June.", "3 June"),
        ("Ada Pike, a clerk, must find the will before October 31.", "October 31"),
        ("Ada Pike, a nurse, has until the 9th of May to leave.", "the 9th of May"),
    ],
)
def test_a_date_is_a_time_and_after_a_word_of_time_the_deadline(idea: str, time: str) -> None:
    times = {e["name"]: e["role"] for e in _entries(idea) if e["kind"] == "time"}
    assert times == {time: "deadline"}, _entries(idea)


# A month of a year is one time, and the month no place (stop 92's walk: "July" was the
# story's place, "the Heart of July" its district).
@pytest.mark.parametrize(
    ("idea", "time"),
    [
        (
            "Ines Castellano, a glassblower from Murano, must finish the mosaic for the Feast of "
            "the Redeemer in July 1576 before the plague closes Venice.",
            "July 1576",
        ),
        ("In March of 1888, Ada Pike, a clerk, finds a will in Leeds.", "March of 1888"),
    ],
)
def test_a_month_of_a_year_is_a_time_and_no_place(idea: str, time: str) -> None:
    entries = _entries(idea)
    assert time in {e["name"] for e in entries if e["kind"] == "time"}, entries
    month = time.split()[0]
    assert not any(month in e["name"] for e in entries if e["kind"] == "place"), entries


def _met(idea: dict[str, Any]) -> dict[str, bool]:
    return named_as_expected(
        idea["idea"], idea["hero"], idea["role"], idea["rival"], idea["places"], idea["times"]
    )


#: The expectations still unmet after the walk (idea index -> the ones), each with why.
UNMET: dict[int, set[str]] = {
    # "when Ohio plans to execute him": one capitalised word as a clause's subject, with no
    # preposition or place noun, reads as a person as well as a place; no rule of grammar tells
    # them apart, so "Ohio" is left unread (no gazetteer in the readers).
    5: {"places"},
}


@pytest.mark.corpus
@pytest.mark.parametrize("index", range(len(IDEAS)))
def test_the_walked_ideas_keep_what_the_writer_named(index: int) -> None:
    met = _met(IDEAS[index])
    unmet = {key for key, ok in met.items() if not ok}
    assert unmet == UNMET.get(index, set()), IDEAS[index]["idea"]


# The one who buries or hides what the hero seeks, said in a clause of its own ("before the
# crime boss Otto Kessel burns the ledger"), is the rival, described by the words before them;
# the hero who hides something is never her own rival.
@pytest.mark.parametrize(
    ("idea", "rival", "words"),
    [
        (
            "Ada Pike, a clerk, must find the will before the banker Otto Kessel burns it.",
            "Otto Kessel",
            ["banker"],
        ),
        (
            "Ada Pike, a reporter, digs for the truth while police chief Rex Dolan hides it.",
            "Rex Dolan",
            ["police chief"],
        ),
    ],
)
def test_the_one_who_hides_what_the_hero_seeks_is_the_rival(
    idea: str, rival: str, words: list[str]
) -> None:
    entries = _entries(idea)
    found = next((e for e in entries if e["role"] == "rival"), None)
    assert found is not None and (found["name"], found["words"]) == (rival, words), entries


def test_a_hero_who_hides_something_is_still_the_hero() -> None:
    assert _people("Ada Pike, a clerk, hides a ledger, and Otto Kessel helps her.") == {
        "Ada Pike": "hero",
        "Otto Kessel": None,
    }


# The agent of a verb of taking said in the passive ("is seized by", "was kidnapped by") is
# the rival, and the hero is the one who acts after.
def test_the_one_who_seizes_in_the_passive_is_the_rival() -> None:
    idea = "The mill is seized by the landlord Otto Kessel, and Ada Pike must win it back."
    assert _people(idea) == {"Otto Kessel": "rival", "Ada Pike": "hero"}


# A name in apposition with a phrase ending in a place noun is a place ("Haven, the last free
# city"); so is a name ending in a word for open land ("the Dead Plains").
@pytest.mark.parametrize(
    ("idea", "place"),
    [
        ("Ada Pike, a pilot, flies to reach Arden, the old mining town.", "Arden"),
        ("Ada Pike, a rider, crosses the Salt Flats alone.", "Salt Flats"),
    ],
)
def test_a_name_said_to_be_a_place_is_a_place(idea: str, place: str) -> None:
    assert any(place in p for p in _named(idea, "place")), _entries(idea)
    assert place not in _people(idea)


# A hero named only by a name in quotes ("known only as "Wren"") is that person, with the
# role said before.
@pytest.mark.parametrize(
    "idea",
    [
        'A thief known only as "Wren" must steal the crown by midnight.',
        'A thief called "Wren" must steal the crown by midnight.',
    ],
)
def test_a_hero_named_by_a_name_in_quotes_is_that_person(idea: str) -> None:
    hero = next((e for e in _entries(idea) if e["role"] == "hero"), None)
    assert hero is not None and (hero["name"], hero["words"]) == ("Wren", ["thief"]), _entries(idea)
    assert reading_en.read(idea).event == "must steal the crown by midnight"


def test_a_role_named_at_the_head_of_the_sentence_leaves_the_name_out_of_the_event() -> None:
    facts = reading_en.read("A ferryman named Olek Varga must cross the river by dawn.")
    assert (facts.hero, facts.hero_name) == ("ferryman", "Olek Varga")
    assert facts.event == "must cross the river by dawn"


# The role of the agent of a passive ("seized by the pirate queen Ysolde Vane") is theirs, never
# the hero's; the hero's is the one said before their own name ("and its young navigator").
def test_the_agents_role_in_a_passive_is_never_the_heros() -> None:
    idea = (
        "The mill is seized by the landlord Otto Kessel, and its young keeper Ada Pike must "
        "win it back."
    )
    facts = reading_en.read(idea)
    assert (facts.hero, facts.hero_name) == ("young keeper", "Ada Pike")
    assert facts.event == "must win it back"
    hero = next(e for e in _entries(idea) if e["role"] == "hero")
    assert (hero["name"], hero["words"]) == ("Ada Pike", ["young keeper"])


# A title is no description of the rival ("must outwit Lady Caroline Thorne": no words).
def test_a_title_is_no_description_of_the_rival() -> None:
    idea = "Ada Pike, a maid, must outwit Lady Rose Vance."
    rival = next(e for e in _entries(idea) if e["role"] == "rival")
    assert (rival["name"], rival["words"]) == ("Rose Vance", [])


# A possessive names an owner, never a thing ("to teach the Earl's daughters").
def test_a_possessive_is_never_a_thing() -> None:
    idea = "Ada Pike, a maid, comes to Bath to serve the Duke's widow."
    assert not [t for t in _named(idea, "object") if "Duke" in t], _entries(idea)


# A kin word said in the plural describes each one by the singular ("his friends Mara").
def test_a_plural_kin_word_describes_by_the_singular() -> None:
    idea = "Ada Pike, a miner, walks to Leeds with her cousins Bea and Young Will."
    bea = next(e for e in _entries(idea) if e["name"] == "Bea")
    assert bea["words"] == ["cousin"]


# One capitalised word after "the" and a role word is a person ("the witch Morgause").
def test_one_name_after_a_role_word_is_a_person() -> None:
    idea = "Ada Pike, a shepherd, must lift the spell the sorcerer Malvo cast on her flock."
    assert "Malvo" in _people(idea), _entries(idea)


# A season of a year is one time ("in the winter of 1923"), told once: out of the event.
def test_a_season_of_a_year_is_one_time_and_out_of_the_event() -> None:
    idea = "Ada Pike, a maid, arrives in Bath in the winter of 1923 to nurse a dying lord."
    assert _named(idea, "time") == ["the winter of 1923"], _entries(idea)
    facts = reading_en.read(idea)
    assert (facts.time, facts.event) == ("the winter of 1923", "arrives to nurse a dying lord")


# A town or a city is told "in", whatever verb said "on" before it ("the rain falling on
# Harbor City"); the writer's "on" stays for what one is on ("on the Hebrides").
async def test_a_city_is_told_in_even_after_a_verbs_on() -> None:
    idea = "As snow falls on Carver Town, Ada Pike, a clerk, must find a stolen ledger."
    confirmed = await _walk(idea, read_codex(idea).as_json())
    logline = str(confirmed["CONCEPT_SELECTION"]["logline"])
    assert logline.startswith("In Carver Town, Ada Pike, a clerk,"), logline


# A place the hero's own sentence names by its verb ("crosses the Salt Flats") is not told
# again before it ("In the Salt Flats, ... crosses the Salt Flats").
@pytest.mark.parametrize(
    "idea",
    [
        "Ada Pike, a rider, crosses the Salt Flats to reach Arden, the old mining town.",
        "After the war, a rider crosses the Salt Flats alone.",
    ],
)
async def test_a_place_the_event_names_is_not_told_twice(idea: str) -> None:
    confirmed = await _walk(idea, read_codex(idea).as_json())
    logline = str(confirmed["CONCEPT_SELECTION"]["logline"])
    assert logline.split(";")[0].count("Salt Flats") == 1, logline
    assert logline[0].isupper(), logline


# The writer's sentence told inside another ("... learns that after the war, ...") keeps no
# capital its opening word had only as the sentence's first.
async def test_a_sentence_told_inside_another_opens_in_lower_case() -> None:
    idea = "After the war, a rider crosses the Salt Flats alone."
    confirmed = await _walk(idea, read_codex(idea).as_json())
    first = confirmed["PLOT_OUTLINE"]["acts"][0]["chapters"][0]["summary"]
    assert "learns that after the war, a rider" in first, first
    assert str(confirmed["CONCEPT_SELECTION"]["logline"]).startswith("After the war, a rider")


# The one who laid or cast the curse or spell the hero must break is the rival, described by
# the words before their name.
@pytest.mark.parametrize(
    ("idea", "rival", "words"),
    [
        (
            "Ada Pike, a shepherd, must lift the spell the sorcerer Malvo cast.",
            "Malvo",
            ["sorcerer"],
        ),
        (
            "Ada Pike, a miller, must break the curse that the hag Grisel Moor laid on the mill.",
            "Grisel Moor",
            ["hag"],
        ),
    ],
)
def test_who_laid_the_curse_the_hero_must_break_is_the_rival(
    idea: str, rival: str, words: list[str]
) -> None:
    found = next((e for e in _entries(idea) if e["role"] == "rival"), None)
    assert found is not None and (found["name"], found["words"]) == (rival, words), _entries(idea)


# A festive gathering named by capitalised words ("the Midsummer Eve party") is one time.
def test_a_party_named_by_capitalised_words_is_one_time() -> None:
    idea = "Ada Pike, a thief, strikes during the Midsummer Eve party."
    assert _named(idea, "time") == ["the Midsummer Eve party"], _entries(idea)


async def test_a_place_not_told_before_the_event_is_still_told_in_the_cast() -> None:
    idea = "Ada Pike, a rider, crosses the Salt Flats to find her brother."
    confirmed = await _walk(idea, read_codex(idea).as_json())
    cast = confirmed["CHARACTERS"]["characters"]
    text = json.dumps(cast)
    assert "  " not in text and " ." not in text, cast
    assert "the Salt Flats" in " ".join(c["description"] for c in cast[2:]), cast


# A kin word in the plural names both of the pair "and" joins ("his friends Mara and Old Tom");
# a singular one only the first ("her aunt Rosa and Ben Kerr").
def test_a_plural_kin_word_describes_both_of_a_pair() -> None:
    idea = "Ada Pike, a miner, walks to Leeds with her cousins Bea and Young Will."
    words = {e["name"]: e["words"] for e in _entries(idea) if e["kind"] == "person"}
    assert words["Young Will"] == ["cousin"], words
    single = "Ada Pike, a miner, walks to Leeds with her aunt Rosa and Ben Kerr."
    words = {e["name"]: e["words"] for e in _entries(single) if e["kind"] == "person"}
    assert words.get("Ben Kerr") == [], words


def test_a_passive_of_bringing_gives_no_rival() -> None:
    """ "taken by" is no verb of opposing: "is taken by her uncle Tom Kerr to Leeds"."""
    people = _people("Ada Pike, a clerk, is taken by her uncle Tom Kerr to Leeds.")
    assert people.get("Tom Kerr") is None, people
