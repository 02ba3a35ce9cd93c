# ruff: noqa: RUF001 - Chinese text uses full-width punctuation on purpose
"""Issue 76: a feedback that names a new person adds them to the codex (text/codex_reading.py
`read_feedback_people`, domain/codex.py `grown`), and when the reader is unsure it adds
nothing: a capitalised verb beside a known name, a name opening an English clause, a request
that replaces someone (the writer says that exactly with EditCodex), a role word, a word the
writer marked "not a name"."""

from dataclasses import replace
from typing import Any
from uuid import UUID

import pytest

from infinite_scribe.agents.llm.offline.generator import draft
from infinite_scribe.agents.llm.offline.words import CHINESE, ENGLISH
from infinite_scribe.agents.llm.port import GenerationRequest
from infinite_scribe.domain.codex import Codex, CodexEntry, grown
from infinite_scribe.domain.commands import EditCodex
from infinite_scribe.domain.proposals import Proposal
from infinite_scribe.text.codex_reading import (
    feedback_people,
    offered_edits,
    read_codex,
    read_feedback_people,
)
from shared_types.enums import GenesisStage
from tests.support.codex_ideas import GLASS, IDEA, IDEA_ZH, TRAIN

SKELLIG = (
    "In 1911, Aoife Rooney keeps the lighthouse on Skellig Rock with her rival, the harbour "
    "master Declan Furey, who wants the light sold to the Congested Districts Board."
)


@pytest.mark.parametrize(
    ("feedback", "people"),
    [
        ("Add a lighthouse inspector named Tom Baxter who suspects Isobel.", ("Tom Baxter",)),
        ("Reid needs a friend, Ailsa Munro.", ("Ailsa Munro",)),
        ("Add Tom Baxter, a retired sea captain.", ("Tom Baxter",)),  # the verb is not his name
        ("Bring in Tom Baxter, a retired sea captain.", ("Tom Baxter",)),  # "in": no place
        ("Isobel should call in Tom Baxter.", ("Tom Baxter",)),
        ("Make Isobel a pawnbroker's apprentice.", ()),  # a verb beside a known name
        ("Give Tom a dog.", ()),  # a name opening a clause: unsure
        ("Make the rival Jonas Crane.", ()),  # replaces someone: EditCodex says it exactly
        ("Make it darker.", ()),
        ("Mr Dunbar should be colder.", ()),  # known
    ],
)
def test_the_people_an_english_feedback_names(feedback: str, people: tuple[str, ...]) -> None:
    assert read_feedback_people(feedback, read_codex(IDEA)) == people


@pytest.mark.parametrize(
    ("feedback", "people"),
    [
        ("加一个叫陆小川的助手。", ("陆小川",)),
        ("增加一个人物：巡捕房的探长韩铁山。", ("韩铁山",)),
        ("把宿敌改成周老板。", ()),
        ("让沈清秋更果断。", ()),
    ],
)
def test_the_people_a_chinese_feedback_names(feedback: str, people: tuple[str, ...]) -> None:
    assert read_feedback_people(feedback, read_codex(IDEA_ZH)) == people


@pytest.mark.parametrize(
    ("idea", "feedback", "people"),
    [
        (IDEA, "Add a lighthouse inspector named Tom Baxter who suspects Isobel.",
         {"Tom Baxter": ("lighthouse inspector",)}),
        (IDEA, "Add Tom Baxter, a retired sea captain who knew her father.",
         {"Tom Baxter": ("retired sea captain",)}),
        (IDEA, "Add Tom Baxter who hates her.", {"Tom Baxter": ()}),
        # Two people, one description: whose is unsure, so no one's.
        (IDEA, "Add Tom Baxter and Nell Garvey, a ferry pilot.",
         {"Tom Baxter": (), "Nell Garvey": ()}),
        # The description in another clause is not the person's.
        (IDEA, "Add Tom Baxter; Isobel should be a ferry pilot.", {"Tom Baxter": ()}),
        (IDEA_ZH, "加一个叫陆小川的助手。", {"陆小川": ("助手",)}),
        # A walk of the offline writer: her trade and where she is from were both lost.
        (SKELLIG, "Add Morag Quinlan, a net-mender from Inishbofin who hides Aoife's letters",
         {"Morag Quinlan": ("net-mender", "from Inishbofin")}),
        # Stop 95's walk: where she is from was lost when no role came with it, or when the
        # apposition ended the clause.
        (IDEA, "Add Inés Arancibia from Chiloé, who carries letters across the sound.",
         {"Inés Arancibia": ("from Chiloé",)}),
        (IDEA, "Add Inés Arancibia from Chiloé.", {"Inés Arancibia": ("from Chiloé",)}),
        (IDEA, "Add Inés Arancibia, a ferrywoman from Chiloé.",
         {"Inés Arancibia": ("ferrywoman", "from Chiloé")}),
        # Not a place: nothing is said of where he is from.
        (IDEA, "Add Tom Baxter from the next chapter on.", {"Tom Baxter": ()}),
        (IDEA, "Add Tom Baxter from Act Two.", {"Tom Baxter": ()}),
        (IDEA, "Add Tom Baxter from Monday.", {"Tom Baxter": ()}),
    ],
)  # fmt: skip
def test_a_person_a_feedback_adds_keeps_the_words_it_describes_them_with(
    idea: str, feedback: str, people: dict[str, tuple[str, ...]]
) -> None:
    """The hand walk of issue 76: a person the feedback added came to the cast as "someone in
    Isobel's story", the feedback's "a lighthouse inspector" lost; the codex entry had no words."""
    codex = read_codex(idea)
    assert feedback_people(feedback, codex) == people
    added = grown(codex.as_json(), people, "event-1").entries[len(codex.entries) :]
    assert {entry.name: entry.words for entry in added} == people


def test_a_word_marked_not_a_name_is_not_added_again() -> None:
    codex = Codex(read_codex(IDEA).entries, "en", not_names=("Tom Baxter",))
    said = "Add a lighthouse inspector named Tom Baxter."
    assert read_feedback_people(said, codex) == ()


def test_grown_adds_each_new_person_once_pointing_at_the_feedback() -> None:
    codex = read_codex(IDEA)
    after = grown(codex.as_json(), ["Tom Baxter", "Tom Baxter", "Isobel Reid"], "event-1")
    added = after.entries[len(codex.entries) :]
    assert [(e.kind, e.name, e.role, e.source, e.event_id) for e in added] == [
        ("person", "Tom Baxter", None, "feedback", "event-1")
    ]
    assert after.entries[: len(codex.entries)] == codex.entries
    assert grown(after.as_json(), ["Tom Baxter"], "event-2") == after


HARBOUR = (
    "Maren Solberg, a ferry pilot on the Hardanger fjord, must bring a stolen church bell home "
    "before the midsummer fair; the Harbourmaster wants it sunk."
)


@pytest.mark.parametrize(
    ("idea", "feedback", "offered"),
    [
        (IDEA, "Make the rival Jonas Crane.", [("rename", "Mr Dunbar", "Jonas Crane")]),
        (IDEA, "The hero should be Mara.", [("rename", "Isobel Reid", "Mara")]),
        # The walk of stop 85: "should be called" offered nothing.
        (IDEA, "The rival should be called Ernst Falk.", [("rename", "Mr Dunbar", "Ernst Falk")]),
        (IDEA, "Make the hero Mr Dunbar.", [("set_role", "Mr Dunbar", "hero")]),
        (IDEA, "Make the rival Mr Dunbar.", []),  # so already
        (IDEA, "Change the villain to the colony AI.", []),  # described: the generator's
        # The third walk: "the Harbourmaster", named only by a title and wanting the bell sunk,
        # is the rival; the writer naming the rival names him.
        (HARBOUR, "Make the rival Per Lunde.", [("rename", "the Harbourmaster", "Per Lunde")]),
        # A titled name for an epithet rival is offered whole (the final walk of stop 90).
        (
            HARBOUR,
            "Make the rival Provost Einar Falck.",
            [("rename", "the Harbourmaster", "Provost Einar Falck")],
        ),
        # An idea with no rival at all: the person named is offered as one.
        (HARBOUR.split(";")[0] + ".", "Make the rival Per Lunde.", [("add", "Per Lunde", "rival")]),
        (IDEA_ZH, "把宿敌改成周老板。", [("rename", "白三爷", "周老板")]),
        # A walk of the offline writer: the rival's old name said before the new one was read
        # as the new one (nothing offered); so the hero's.
        (
            SKELLIG,
            "Rename the rival Declan Furey to Cathal Breen.",
            [("rename", "Declan Furey", "Cathal Breen")],
        ),
        (
            IDEA,
            "Rename the heroine Isobel Reid to Mara Quinn.",
            [("rename", "Isobel Reid", "Mara Quinn")],
        ),
        (IDEA_ZH, "把主角改成一名仵作。", []),
        # A person renamed by their name (tests/unit/test_codex_renames.py): an epithet rival
        # said at a clause's start, and a name after the writer's own words.
        (
            HARBOUR,
            "The Harbourmaster should be called Per Lunde.",
            [("rename", "the Harbourmaster", "Per Lunde")],
        ),
        (IDEA_ZH, "我想把白三爷改名为周老板。", [("rename", "白三爷", "周老板")]),
    ],
)
def test_the_codex_edits_a_feedback_is_offered(
    idea: str, feedback: str, offered: list[tuple[str, str, str]]
) -> None:
    edits = offered_edits(feedback, read_codex(idea))
    assert [(e["op"], e["name"], e.get("to") or e["role"]) for e in edits] == offered
    if edits:  # each in EditCodex's own shape: the writer sends it as offered
        EditCodex.model_validate({"edits": list(edits)})
        Proposal.model_validate({"offered_edits": list(edits)})


@pytest.mark.parametrize(
    ("idea", "time"),
    [
        (TRAIN, "All Saints Day"),
        ("Ada must reach Bergen before All Souls' Night.", "All Souls' Night"),
        ("Ada must reach Bergen before New Year's Eve.", "New Year's Eve"),
        ("On Twelfth Night Ada must reach Bergen by Saint Lucy's Day.", "Saint Lucy's Day"),
        (GLASS, "the Feast of the Redeemer"),
        ("Ada must reach Bergen before the Festival of Saint Olaf.", "the Festival of Saint Olaf"),
        ("Ada must reach Bergen by Feast of Lights.", "Feast of Lights"),
    ],
)
def test_a_festival_of_several_capitalised_words_is_read_whole_and_its_deadline(
    idea: str, time: str
) -> None:
    """The hand walk of issue 76: "before All Saints Day" was the time "Saints Day"; "until the
    Feast of the Redeemer" an object "the Feast" and a place "Redeemer"."""
    codex = read_codex(idea)
    assert codex.named(time) == CodexEntry("time", time, "deadline")
    assert [e.name for e in codex.of_kind("time") if time in e.name or e.name in time] == [time]
    parts = [e.name for e in codex.entries if e.kind != "time" and e.name in time]
    assert parts == [], parts


@pytest.mark.parametrize(
    ("idea", "person", "kin"),
    [
        (TRAIN, "Rosa", "aunt"),
        (
            "Ada Brandt, a ferry pilot, must reach Bergen; her uncle Piet keeps the boat.",
            "Piet",
            "uncle",
        ),
    ],
)
def test_kin_named_by_one_word_is_a_person_described_by_the_kin_word(
    idea: str, person: str, kin: str
) -> None:
    """The hand walk of issue 76: "his aunt Rosa from Porto" named no one."""
    codex = read_codex(idea)
    assert codex.named(person) == CodexEntry("person", person, None, (kin,))
    assert codex.hero is not None and codex.hero.name != person


def test_the_hand_walk_reads_each_of_its_names_as_its_kind() -> None:
    entries = [(e.kind, e.name, e.role) for e in read_codex(TRAIN).entries]
    assert ("person", "Tomas Ferreira", "hero") in entries
    assert ("person", "Vera Kask", "rival") in entries
    assert ("place", "Porto", "origin") in entries
    assert ("time", "All Saints Day", "deadline") in entries


@pytest.mark.parametrize(
    "idea",
    [
        "Maren Solberg, a ferry pilot, must bring the bell home; her rival, the Harbourmaster, "
        "wants it sunk.",
        "Maren Solberg, a ferry pilot, must bring the bell home; the Harbourmaster, her old "
        "enemy, wants it sunk.",
    ],
)
def test_a_rival_named_by_an_epithet_is_a_person_in_the_rival_role(idea: str) -> None:
    """The hand walk of issue 76: "his rival, the Harbourmaster" was an object."""
    codex = read_codex(idea)
    assert codex.named("the Harbourmaster") == CodexEntry("person", "the Harbourmaster", "rival")
    assert codex.hero is not None and codex.hero.name == "Maren Solberg"


def test_an_epithet_no_word_marks_stays_what_it_was() -> None:
    codex = read_codex("Maren Solberg must bring the bell home before the Naval Court sits.")
    assert [e.kind for e in codex.entries if e.name == "the Naval Court"] == ["object"]


def _revised(feedback: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """The Skellig idea's cast proposal, then the proposal revised on `feedback` with the people
    it adds grown into the codex (as the worker reads a feedback)."""
    codex = read_codex(SKELLIG)
    request = GenerationRequest(
        UUID(int=7), GenesisStage.CHARACTERS, {}, user_input=SKELLIG, codex=codex.as_json()
    )
    first = draft(request, ENGLISH).model_dump(mode="json")
    added = grown(codex.as_json(), feedback_people(feedback, codex), "event-1")
    again = replace(request, feedback=feedback, previous_proposal=first, codex=added.as_json())
    return first, draft(again, ENGLISH).model_dump(mode="json")


def _cast_before_and_after(feedback: str) -> tuple[list[Any], list[Any]]:
    first, revised = _revised(feedback)
    return first["characters"], revised["characters"]


def test_a_person_a_feedback_adds_joins_the_cast_and_moves_no_one() -> None:
    """A walk of the offline writer: adding Morag Quinlan dropped a cast member the writer had
    seen (the ally) and made the mentor the ally; she takes a card of her own."""
    feedback = "Add Morag Quinlan, a net-mender from Inishbofin who hides Aoife's letters"
    first, cards = _cast_before_and_after(feedback)
    before = [(card["name"], card["role"]) for card in first]
    assert [(card["name"], card["role"]) for card in cards[: len(before)]] == before
    morag = next(card for card in cards if card["name"] == "Morag Quinlan")
    assert "net-mender" in morag["description"] and "Inishbofin" in morag["description"], morag


def test_a_named_persons_apposition_is_not_a_wish_of_its_own() -> None:
    # The walk's note said "Not shown: added a ferrywoman from Barrow ..." while her card
    # showed both: the apposition was read as a second thing to add.
    from infinite_scribe.text import reading_en

    asked = "Add Isolde Marr, a ferrywoman from Barrow who knows the old tide paths."
    assert reading_en.read_feedback(asked).elements == ("Isolde Marr",)
    listed = reading_en.read_feedback("Add a dust storm, a broken airlock and a traitor.")
    assert listed.elements == ("a dust storm", "a broken airlock", "a traitor")


def test_where_a_person_added_with_no_role_is_from_is_on_their_card() -> None:
    """Stop 95's walk: "Add Inés Arancibia from Chiloé, who carries letters ..." gave her a
    card that said nothing of Chiloé (the codex kept no words for her)."""
    _, cards = _cast_before_and_after(
        "Add Inés Arancibia from Chiloé, who carries letters across the sound."
    )
    ines = next(card for card in cards if card["name"] == "Inés Arancibia")
    assert "Chiloé" in ines["description"], ines


@pytest.mark.parametrize(
    "feedback",
    ["Add a fisherman named Piero Sala from Grado.", "Add a pilot named Ada Vey."],
)
def test_a_person_added_by_role_and_name_is_said_added_when_their_card_is_there(
    feedback: str,
) -> None:
    """Stop 98's walk: the note said "Not shown in this draft: added Piero Sala, a fisherman
    from Grado" beside his card "Piero Sala (fisherman, from Grado)". A person the feedback adds
    is made when their name is shown; their role and origin are their card's words."""
    _, revised = _revised(feedback)
    person = feedback.split("named ")[1].split(" from")[0].rstrip(".")
    assert any(card["name"] == person for card in revised["characters"])
    assert revised["revision_note"].startswith("Revised as asked: added"), revised["revision_note"]
    assert "Not shown" not in revised["revision_note"], revised["revision_note"]


NINGBO = (
    "光绪年间的宁波，当铺伙计沈小满要在冬至前赎回被典当的家传玉镯，可钱庄老板孙德茂偏要吞下这笔当。"
)


def test_a_person_a_feedback_adds_renames_no_one_the_writer_has_seen() -> None:
    """Stop 98's walk: adding 陈阿福 renamed the mentor 陈默 to 顾南 and the ally 顾南 to 林舟 (a
    bank name like the writer's is left out, and the new person's surname was taken for one).
    A person a feedback adds moves no name the writer has seen; the note says only them."""
    codex = read_codex(NINGBO)
    request = GenerationRequest(
        UUID(int=981), GenesisStage.CHARACTERS, {}, user_input=NINGBO, codex=codex.as_json()
    )
    first = draft(request, CHINESE).model_dump(mode="json")
    mentor = first["characters"][2]["name"]
    feedback = f"加一个从泉州来的船工{mentor[0]}阿福。"  # the mentor's surname
    added = grown(codex.as_json(), feedback_people(feedback, codex), "event-1")
    again = replace(request, feedback=feedback, previous_proposal=first, codex=added.as_json())
    revised = draft(again, CHINESE).model_dump(mode="json")
    seen = [(card["name"], card["role"]) for card in first["characters"]]
    assert [(card["name"], card["role"]) for card in revised["characters"][:4]] == seen
    assert revised["characters"][4]["name"] == f"{mentor[0]}阿福"
    assert revised["revision_note"] == f"已按反馈修改：加入了{mentor[0]}阿福。"
