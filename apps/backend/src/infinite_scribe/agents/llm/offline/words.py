# ruff: noqa: RUF001 - Chinese text uses full-width punctuation on purpose
"""The offline writer's sentence patterns, one set per language: data (data/<language>.json,
sections `genesis` and `chapters`), filled with the story's own parts (story.py, chapters.py);
only what the writer gave no word for is drawn from a bank (a name, a tone, a theme). And the
grammar that places the writer's words: a mood read, how a story's first sentence opens."""

import re
from dataclasses import dataclass

from pydantic import ConfigDict

from infinite_scribe.text import vocabulary
from infinite_scribe.text.facts import Facts

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
    concept_titles: tuple[tuple[str, str, str], tuple[str, str, str]]  # by role; by name, no role
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
    hero_no_role: str  # the hero's description when the writer named them and no role
    hero_goal: str  # {core}: what the hero wants when the idea gives them no task of their own
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
    moods: tuple[tuple[tuple[str, ...], str], ...]  # feedback words -> tone ("darker")
    changes: dict[str, str]  # what a revision changed, by kind
    long_ago: str
    deadline_line: str  # {deadline}: a codex deadline the story and the outline tell (76)
    thing_tie: str  # the things the idea ties to a character, on their card: {items}
    rounds: tuple[str, ...]  # a long outline's later rounds of the beats ({item}: a thing)
    machine: tuple[str, ...]  # an antagonist that is a machine: parts of a regular expression


ENGLISH = vocabulary.load(Words, "en", "genesis", WRITER)
CHINESE = vocabulary.load(Words, "zh", "genesis", WRITER)
#: Either language's words: a Chinese antagonist may stand in an English story and back.
MACHINE = re.compile("|".join((*CHINESE.machine, *ENGLISH.machine)), re.I)


@dataclass(frozen=True)
class ChapterWords:
    """Patterns (str.format with {hero}, {other}, {place}, ...), a bank's by chapter number."""

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
    open_after: tuple[str, ...]  # {last}: who and where the last chapter named (not its summary)
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
    #: Plot wishes written as scenes by kind (issue 69), its words (a regex), its default {thing}.
    scenes: dict[str, str]
    scene_kinds: dict[str, str]
    scene_thing: dict[str, str]
    transitive: str  # "kill " before a name: the name after it is the one who dies
    roles: dict[str, str]  # a card's role words, by the role the writer reads them as


ENGLISH_CHAPTERS = vocabulary.load(ChapterWords, "en", "chapters", WRITER)
CHINESE_CHAPTERS = vocabulary.load(ChapterWords, "zh", "chapters", WRITER)
#: A card's role in either language ("主角", "heroine") -> hero, foe, mentor or ally.
ROLES = {
    said: role
    for words in (ENGLISH_CHAPTERS, CHINESE_CHAPTERS)
    for role, names in words.roles.items()
    for said in names.split()
}
#: Tones the generator's words and the writer's style name -> the atmosphere they ask for.
TONE_MOODS: dict[str, str] = {
    tone: mood
    for language in vocabulary.LANGUAGES
    for tone, mood in vocabulary.document(language, WRITER)["tone_moods"].items()
}


def mood_of(words: Words, text: str) -> str | None:
    """The tone `text` asks for by `words.moods` ("darker" -> brooding, "更紧张"), if any: the
    one reader of a mood. A Chinese word counts wherever written, an English one as a word or
    with an ending ("darker"), never inside another ("lighthouse" is not "light", stop 82)."""
    lowered = text.lower()
    for keys, tone in words.moods:
        for key in keys:
            english = rf"\b{re.escape(key)}(?:er|est|ly|y|s|ing|ness)?\b"
            said = re.search(english, lowered) if key.isascii() else key in lowered
            if said:
                return tone
    return None


#: A role only "the" opens ("the last witch", never "a last witch").
_DEFINITE = vocabulary.words("en", "definite_adjectives")
#: A function word opening the writer's sentence has its capital only from it ("After the war").
_FUNCTION_WORDS = vocabulary.words("en", "run_openers") | vocabulary.words("en", "stop")
_IN_PLACES = vocabulary.words("en", "in_places")


def opening(facts: Facts, name: str | None, event: str | None, words: Words) -> tuple[str, str]:
    """(the words that name the hero, what happens after them), `event` as the story tells it."""
    if words is CHINESE:
        return _opening_zh(facts, name, event, words)
    someone = words.someone
    if facts.hero:
        rest = event.removeprefix(name).lstrip(" ,") if event and name else event
        # The name the writer gave goes with the role (issue 55: names are carried verbatim).
        hero_a = f"{article(facts.hero)} {facts.hero}"
        return (f"{name}, {hero_a}," if name else hero_a), rest or ""
    if not event:
        return f"{article(someone)} {someone}", ""
    if name and event.startswith(name):
        return _aside(event, name)
    # The writer's sentence names its own subject ("A storm sinks the furnaces"): told as is.
    first, _, rest = event.partition(" ")
    return "", f"{first.lower()} {rest}" if first.lower() in _FUNCTION_WORDS else event


def _opening_zh(facts: Facts, name: str | None, event: str | None, words: Words) -> tuple[str, str]:
    """`opening` in Chinese: the role and name read (一名女法医沈清秋), or the name the sentence
    opens on; before a sentence with its own subject, the named hero learning of it, else
    nothing; the stand-in only where nothing is said to happen."""
    role = f"一名{facts.hero}{name or ''}" if facts.hero else ""
    if not event:
        return role or words.someone, ""
    rest = event.removeprefix(name).lstrip("，,") if name else event
    if role:
        return role, rest
    if name:
        return name, rest if event.startswith(name) else words.witnessed.format(event=event)
    return "", event


def _aside(event: str, name: str) -> tuple[str, str]:
    """The name the event opens on with its aside if any ("Odile Marchetti, who ...,"), the rest."""
    rest = event[len(name) :]
    close = rest.find(",", 1) if rest.startswith(",") else -1
    if close < 0:
        return name, rest.lstrip(" ,")
    return name + rest[: close + 1], rest[close + 1 :].strip()


def article(word: str) -> str:
    words = word.split()
    if words and words[0].lower() in _DEFINITE:
        return "the"
    return "an" if word[:1].lower() in "aeiou" else "a"


def at_word(place: str, idea: str, planet: bool) -> str:
    """The word a place is told with: the writer's "on" or "aboard" ("on the Hebrides"), never
    "on" before a town or a city, which a verb said it of ("the rain falling on Harbor City":
    "in"); else "on" a planet and "in" anywhere else."""
    said = re.search(rf"\b((?i:on|aboard))\s+{re.escape(place)}", idea)
    word = said.group(1).lower() if said else ""
    if word == "on" and place.lower().split()[-1] in _IN_PLACES:
        word = ""
    return word or ("on" if planet else "in")
