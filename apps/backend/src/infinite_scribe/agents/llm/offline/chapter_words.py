"""The offline chapter writer's sentence patterns, one set per language (issue 39): data
(data/<language>.json, section `chapters`), filled with the novel's own parts by chapters.py.
Banks hold variants so a chapter's beats do not repeat; which one a beat gets follows from the
input, never from chance.
"""

from dataclasses import dataclass

from pydantic import ConfigDict

from infinite_scribe.agents.llm.offline.words import WRITER
from infinite_scribe.text import vocabulary

#: Atmospheres: the default, and the tones a writer's style or feedback can ask for.
MOODS = ("plain", "dark", "tense", "warm")


@dataclass(frozen=True)
class ChapterWords:
    """Patterns (str.format with {hero}, {other}, {place}, {thing}, ...); a bank's variant is
    chosen by the chapter's number."""

    __pydantic_config__ = ConfigDict(extra="forbid")

    someone: str  # the hero when the bible has no characters
    somewhere: str  # the place when the world has none
    end: str  # a sentence's full stop
    #: A place the first time a chapter opens there: its description joined (one opening
    #: with a word of `described_leads`: "where ...", "a port ...") or told after it.
    described: tuple[str, str]
    described_leads: str
    # Beats: one sentence each, for the writer to read and for the prose to follow.
    open_first: str
    #: {last}: who and where the last chapter named (its summary quoted is a passage, 69)
    open_after: tuple[str, ...]
    before: str  # {last} when the last chapter named no one and nowhere
    meet: dict[str, tuple[str, ...]]  # by the other's role
    rule: str
    thing: str  # something the writer asked for
    unread: str  # a wish read as nothing: an open note, never prose (issue 55)
    turn: str
    turn_plain: tuple[str, ...]
    close: tuple[str, ...]
    # Prose.
    atmospheres: dict[str, tuple[str, ...]]  # by mood
    gestures: tuple[str, ...]
    #: Neutral connective text, one part of each bank (1,001 sentences before one comes round).
    details: tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]
    speech: tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]  # a line, as `details`
    #: How a line is told: English tells who speaks first, so a book's forms are four (chapters
    #: 7, 14 and 21 apart draw the same detail before a line: in one form, a repeated passage).
    said: tuple[str, ...]
    hooks: tuple[str, ...]  # the chapter's last lines
    #: Plot wishes written as scenes, by kind (issue 69), the kind's words (a regular
    #: expression) and its default {thing}.
    scenes: dict[str, str]
    scene_kinds: dict[str, str]
    scene_thing: dict[str, str]
    transitive: str  # "kill " before a name: the name after it is the one who dies
    roles: dict[str, str]  # a card's role words, by the role the writer reads them as


ENGLISH = vocabulary.load(ChapterWords, "en", "chapters", WRITER)
CHINESE = vocabulary.load(ChapterWords, "zh", "chapters", WRITER)
#: A card's role in either language ("主角", "heroine") -> hero, foe, mentor or ally.
ROLES = {
    said: role
    for words in (ENGLISH, CHINESE)
    for role, names in words.roles.items()
    for said in names.split()
}
#: Tones the generator's words and the writer's style name -> the atmosphere they ask for.
TONE_MOODS: dict[str, str] = {
    tone: mood
    for language in vocabulary.LANGUAGES
    for tone, mood in vocabulary.document(language, WRITER)["tone_moods"].items()
}
