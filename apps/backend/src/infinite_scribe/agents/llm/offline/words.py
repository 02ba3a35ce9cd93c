"""The offline generator's sentence patterns, one set per language: data (data/<language>.json,
section `genesis`), filled with the story's own parts (story.py). Only what the writer gave no
word for is drawn from a bank: the names of unnamed characters, a tone, a theme.
"""

import re
from dataclasses import dataclass

from pydantic import ConfigDict

from infinite_scribe.text import vocabulary

WRITER = __package__ or "infinite_scribe.agents.llm.offline"  # its data/<language>.json


@dataclass(frozen=True)
class Words:
    """Banks and patterns (str.format with the slots of `Story.slots`)."""

    __pydantic_config__ = ConfigDict(extra="forbid")

    note: str
    list_separator: str
    untitled: str
    someone: str  # the hero when the writer named none
    happening: str  # what happens when the writer said nothing
    witnessed: str  # {event}: the writer's sentence with its own subject, told of the hero
    powers: str  # the antagonist when the writer named none: {place}
    nowhere: str  # the place when the writer named none
    tones: tuple[str, ...]
    themes: tuple[str, ...]
    names: tuple[str, ...]
    roles: tuple[str, str, str, str]  # protagonist, antagonist, mentor, ally
    acts: tuple[str, str, str]
    concept_titles: tuple[str, str, str]
    premise: str
    angles: tuple[str, str, str]  # one per concept, after the premise
    with_elements: str  # {elements}
    synopsis: str
    conflicts: tuple[str, str]
    element_conflict: str  # {element}
    setting: str
    rules: tuple[str, str]
    element_rule: str  # {element}
    home: str  # the first story place's description
    story_place: str  # another story place's description
    sites: tuple[tuple[str, str], tuple[str, str]]  # (name, description) around the place
    history: str
    character: tuple[str, str, str, str]  # descriptions, one per role
    machine_foe: str  # the antagonist's description when it is not a person
    motivations: tuple[str, str, str, str]
    arcs: tuple[str, str, str, str]
    relationships: tuple[str, str, str]
    #: A person the writer named and gave no role (never the mentor or the ally, issue 76):
    #: the card's role, description, the writer's words for them, motivation, arc, relationship.
    unassigned: tuple[str, str, str, str, str, str]
    act_title: str  # {number} {act}
    act_summaries: tuple[str, str, str]
    act_wish: str  # {wish}: appended to the act the writer asked it for
    chapter_title: str  # {number}
    wish_chapter_title: str  # {number} {wish}
    wish_beat: str  # {wish}
    beats: tuple[str, ...]  # nine, one per chapter
    #: Feedback words -> the tone a revision takes ("darker" -> brooding).
    moods: tuple[tuple[tuple[str, ...], str], ...]
    changes: dict[str, str]  # what a revision changed, by kind
    long_ago: str
    #: A codex deadline (issue 76) the story and the outline tell: {deadline}
    deadline_line: str
    thing_tie: str  # the things the idea ties to a character, on their card: {items}
    #: A long outline's later rounds of the beats, each its own ({item}: a named item).
    rounds: tuple[str, ...]
    machine: tuple[str, ...]  # an antagonist that is a machine: parts of a regular expression


ENGLISH = vocabulary.load(Words, "en", "genesis", WRITER)
CHINESE = vocabulary.load(Words, "zh", "genesis", WRITER)
#: Either language's words: a Chinese antagonist may stand in an English story and back.
MACHINE = re.compile("|".join((*CHINESE.machine, *ENGLISH.machine)), re.I)


def mood_of(words: Words, text: str) -> str | None:
    """The tone `text` asks for by `words.moods` ("darker" -> brooding, "更紧张"), if it names
    one: the one reader of a mood (the stages, the chapters and the revision note). A Chinese
    word counts wherever written, an English one as a word or with an ending ("darker"), never
    inside another word ("lighthouse" is not "light", the hand walk of stop 82)."""
    lowered = text.lower()
    for keys, tone in words.moods:
        for key in keys:
            english = rf"\b{re.escape(key)}(?:er|est|ly|y|s|ing|ness)?\b"
            said = re.search(english, lowered) if key.isascii() else key in lowered
            if said:
                return tone
    return None


def title_case(text: str, inside: bool = False) -> str:
    """ "the drowned city" -> "The Drowned City"; "Mars" stays; `inside` a title, the writer's
    small "the" stays small ("The Edge of the Hebrides")."""
    small = {"of", "the", "a", "an", "on", "in"}
    words = text.split()
    return " ".join(
        w if w[:1].isupper() or ((i or inside) and w in small) else w.capitalize()
        for i, w in enumerate(words)
    )
