"""The offline chapter writer's sentence patterns, one set per language (issue 39).

Every pattern is filled with the novel's own parts (agents/llm/offline/chapters.py): the
bible's characters and places, the chapter's outline entry, the world's rules, what the
writer asked for. Banks hold several variants so the beats of one chapter do not repeat; which
variant a beat gets is derived from the input, never random. The patterns themselves are data
(data/<language>.json, section `chapters`).
"""

from dataclasses import dataclass

from pydantic import ConfigDict

from infinite_scribe.agents.llm.offline.words import WRITER
from infinite_scribe.text import vocabulary

#: Atmospheres: the default, and the tones a writer's style or feedback can ask for.
MOODS = ("plain", "dark", "tense", "warm")


@dataclass(frozen=True)
class ChapterWords:
    """Patterns (str.format with {hero}, {other}, {place}, {thing}, ...)."""

    __pydantic_config__ = ConfigDict(extra="forbid")

    someone: str  # the hero when the bible has no characters
    somewhere: str  # the place when the world has none
    end: str  # a sentence's full stop
    #: A place said the first time a chapter opens there, as a sentence: {place} with its
    #: {description} joined (a description opening with one of `described_leads`: "where
    #: ...", "a port ...") or told after it.
    described: tuple[str, str]
    described_leads: str
    # Beats: one sentence each, for the writer to read and for the prose to follow.
    open_first: str  # {hero} {place}
    #: {hero} {place} {last}: who and where the last confirmed chapter named (its summary is
    #: not quoted: a passage of the chapter before, issue 69), by the chapter's number
    open_after: tuple[str, ...]
    before: str  # {last} when the last chapter named no one and nowhere
    meet: dict[str, tuple[str, ...]]  # by the other's role, then the chapter's number
    rule: str  # {place} {rule}
    thing: str  # {thing} {hero} {place}: something the writer asked for
    #: A wish or feedback the reader made nothing of: an open note on the draft, never
    #: pasted into the prose (issue 55). {wish}
    unread: str
    turn: str  # {hero} {motivation}
    turn_plain: tuple[str, ...]  # {hero}: by the chapter's number
    close: tuple[str, ...]  # {hero} {place}: by the chapter's number
    # Prose.
    atmospheres: dict[str, tuple[str, ...]]  # by mood: {place}
    gestures: tuple[str, ...]  # {who}
    #: A sentence of neutral connective text: one part of each bank, by the chapter's number
    #: and the beat's index, so no two beats of a book (up to 1,001) get the same. {who}
    details: tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]
    #: A line of dialogue, three parts as `details` (no two chapters say the same). {hero} {place}
    speech: tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]
    #: How a line is told, by the chapter's number ({line} {who}): English tells who speaks
    #: first, so a book's forms are four (chapters 7, 14 and 21 apart draw the same detail
    #: sentence before a line: with the same form its speaker made a repeated passage).
    said: tuple[str, ...]
    hooks: tuple[str, ...]  # the chapter's last lines: {hero} {place}
    #: Plot wishes written as scenes, by kind (issue 69): {who} {other} {witness} {place}
    #: {hero} {thing}; the kind's words (a regular expression) and the default {thing}.
    scenes: dict[str, str]
    scene_kinds: dict[str, str]
    scene_thing: dict[str, str]
    transitive: str  # "kill " before a name: the name after it is the one who dies


ENGLISH = vocabulary.load(ChapterWords, "en", "chapters", WRITER)
CHINESE = vocabulary.load(ChapterWords, "zh", "chapters", WRITER)
#: Tones the generator's words and the writer's style name -> the atmosphere they ask for.
TONE_MOODS: dict[str, str] = {
    tone: mood
    for language in vocabulary.LANGUAGES
    for tone, mood in vocabulary.document(language, WRITER)["tone_moods"].items()
}
