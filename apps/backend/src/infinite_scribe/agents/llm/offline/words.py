"""The offline generator's sentence patterns, one set per language (English and Chinese).

Every pattern is filled with the story's own parts (agents/llm/offline/story.py): the hero,
the place, the time, what happens, the antagonist, the cast's names. Only what the writer gave
no word for is drawn from a bank: the names of unnamed characters, a tone, a theme. The
patterns themselves are data (data/<language>.json, section `genesis`).
"""

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
    act_title: str  # {number} {act}
    act_summaries: tuple[str, str, str]
    act_wish: str  # {wish}: appended to the act the writer asked it for
    chapter_title: str  # {number}
    wish_chapter_title: str  # {number} {wish}
    wish_beat: str  # {wish}
    beats: tuple[str, ...]  # nine, one per chapter
    #: Feedback words -> the tone a revision takes ("darker" -> brooding).
    moods: tuple[tuple[tuple[str, ...], str], ...]
    revised: str  # {changes}
    #: A revision whose feedback the reader could not tell a change from: said so, not
    #: reported as applied (issue 55). {feedback}
    not_understood: str
    #: What a revision was asked to change but does not show (issue 55). {changes}
    not_applied: str
    changes: dict[str, str]  # what a revision changed, by kind
    long_ago: str
    #: What the writer named that a stage's text does not say yet (issue 69): {items}
    named_line: str
    things_line: str  # the named things, in the worldview's setting: {items}
    thing_tie: str  # the things the idea ties to a character, on their card: {items}
    #: A long outline's later rounds of the beats, each its own ({item}: a named item).
    rounds: tuple[str, ...]


ENGLISH = vocabulary.load(Words, "en", "genesis", WRITER)
CHINESE = vocabulary.load(Words, "zh", "genesis", WRITER)
