# ruff: noqa: RUF001 - Chinese text uses full-width punctuation on purpose
"""What the offline chapter writer (chapters.py) draws on: the bible's characters (the hero
first) and places, and what the writer's wishes and feedback ask for, read with the Genesis
readers (text/; Chinese may load jieba: a caller on the event loop warms it, `segment.warm`)."""

import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from infinite_scribe.agents.llm.offline.words import (
    CHINESE,
    CHINESE_CHAPTERS,
    ENGLISH,
    ENGLISH_CHAPTERS,
    ROLES,
    TONE_MOODS,
    ChapterWords,
    mood_of,
)
from infinite_scribe.domain.chapter_brief import ChapterBrief
from infinite_scribe.domain.novel import NovelBible
from infinite_scribe.text import named, reading_en, reading_zh
from infinite_scribe.text.facts import cap

# The bible and the writer's words are their JSON and text: what is read from them is bounded.
_MAX_PEOPLE, _MAX_PLACES, _MAX_CLAUSES, _MAX_TEXT = 24, 24, 12, 300
_CLAUSES = {"zh": re.compile(r"[。！？!?；;\n，,]"), "en": re.compile(r"(?<=[.!?])\s|[;\n]")}
_ENDS = ("。", ".", "!", "?", "！", "？", "”", '"')


@dataclass(frozen=True)
class Person:
    name: str
    role: str  # hero, foe, mentor, ally or other
    motivation: str


@dataclass(frozen=True)
class Cast:
    """What the writer draws on: the bible's people (the hero first) and places, and asks."""

    people: tuple[Person, ...]
    places: tuple[tuple[str, str], ...]  # (name, description)
    things: tuple[str, ...] = ()
    asked_people: tuple[str, ...] = ()
    #: What the reader made nothing of, as the writer said it: open notes, never prose.
    unread: tuple[str, ...] = ()
    mood: str = "plain"
    scenes: tuple[str, ...] = ()  # plot wishes written as scenes (`_scene`)
    #: Who dies in this chapter's scenes: never speaks nor leads a beat (the dead do not act, 78).
    dying: tuple[str, ...] = ()

    @property
    def hero(self) -> Person:
        return self.people[0]


def words_for(brief: ChapterBrief) -> ChapterWords:
    return CHINESE_CHAPTERS if brief.language == "zh" else ENGLISH_CHAPTERS


def _clip(value: Any) -> str:
    return " ".join(value.split())[:_MAX_TEXT] if isinstance(value, str) else ""


def _role(card: dict[str, Any]) -> str:
    return ROLES.get(_clip(card.get("role")).lower(), "other")


def _named(found: Any, most: int) -> list[dict[str, Any]]:
    """The first `most` entries of a bible's list that have a name (the JSON is the writer's)."""
    items = found if isinstance(found, list) else []
    return [item for item in items[:most] if isinstance(item, dict) and _clip(item.get("name"))]


def _people(bible: NovelBible) -> tuple[Person, ...]:
    cards = _named(bible.characters.get("characters"), _MAX_PEOPLE)
    people = [Person(_clip(c["name"])[:100], _role(c), _clip(c.get("motivation"))) for c in cards]
    heroes = [person for person in people if person.role == "hero"] or people[:1]
    return (heroes[0], *(person for person in people if person is not heroes[0])) if heroes else ()


def _places(bible: NovelBible, words: ChapterWords) -> tuple[tuple[str, str], ...]:
    places = _named(bible.worldview.get("locations"), _MAX_PLACES)
    found = tuple((_clip(p["name"])[:100], _clip(p.get("description"))) for p in places)
    return found or ((words.somewhere, ""),)


def mentions(text: str, names: Sequence[str], fold: bool) -> list[str]:
    """The names `text` mentions, in the order it does; the longest name wins where two
    overlap ("火星殖民地的中枢" is not also "火星殖民地")."""
    hay = text.lower() if fold else text
    spans: list[tuple[int, int, str]] = []
    for name in sorted(set(names), key=len, reverse=True):
        needle = name.lower() if fold else name
        start = hay.find(needle) if needle else -1
        while start >= 0:
            end = start + len(needle)
            if not any(s < end and start < e for s, e, _ in spans):
                spans.append((start, end, name))
                break
            start = hay.find(needle, start + 1)
    return [name for _, _, name in sorted(spans)]


def _mood(text: str, chinese: bool) -> str | None:
    """The atmosphere a text asks for ("darker", "更紧张"), by the Genesis generator's words."""
    return TONE_MOODS.get(mood_of(CHINESE if chinese else ENGLISH, text) or "")


@dataclass
class _Asks:
    """What the writer's wishes and feedback ask for, gathered clause by clause (`_ask`)."""

    mood: str
    things: list[str] = field(default_factory=list)
    written: list[str] = field(default_factory=list)  # plot wishes written as scenes
    dying: list[str] = field(default_factory=list)
    asked: list[str] = field(default_factory=list)  # the characters named
    unread: list[str] = field(default_factory=list)


def _asked(brief: ChapterBrief, cast: Cast) -> Cast:
    """`cast` with what the writer's wishes and feedback (the latest word last) ask for: a
    plot wish (a death, a chase, ...) as its scene, a thing to add, a character, a mood."""
    chinese = brief.language == "zh"
    asks = _Asks(_mood(brief.bible.writing_style or "", chinese) or "plain")
    at = chapter_place(brief, cast)
    for text in (brief.wishes, brief.feedback):
        clauses = _CLAUSES["zh" if chinese else "en"].split((text or "")[:4000])
        for clause in [c.strip() for c in clauses if c.strip()][:_MAX_CLAUSES]:
            _ask(clause, brief, cast, at, asks)
    return replace(
        cast,
        things=tuple(dict.fromkeys(asks.things))[:4],
        scenes=tuple(dict.fromkeys(asks.written))[:2],
        dying=tuple(dict.fromkeys(asks.dying)),
        asked_people=tuple(dict.fromkeys(asks.asked)),
        unread=tuple(dict.fromkeys(asks.unread))[:3],
        mood=asks.mood,
    )


def _ask(clause: str, brief: ChapterBrief, cast: Cast, at: str, asks: _Asks) -> None:
    """Gathers into `asks` what one clause of the writer's asks for (the chapter is at `at`)."""
    chinese = brief.language == "zh"
    words, names = words_for(brief), [person.name for person in cast.people]
    facts = (reading_zh if chinese else reading_en).read_feedback(clause)
    told = [*facts.elements, *(wish for _, wish in facts.acts)]
    told += [t for t in (facts.antagonist, facts.place, facts.hero) if t]
    places, thing = [n for n, _ in cast.places], _thing(told[0][:100], chinese) if told else None
    wished = _scene(clause, words, names, places, at, thing)
    if wished is not None:
        asks.written.append(fill(wished[0], chinese, **wished[1]))
        asks.dying += [wished[1]["who"]] if wished[0] == words.scenes["death"] else []
        told = []
    asks.things += [_thing(thing[:100], chinese) for thing in told]
    asks.asked += mentions(clause, names, fold=not chinese)
    said = _mood(clause, chinese)
    asks.mood = said or asks.mood
    if _only_a_time(clause, chinese):
        return  # "除夕夜": when the next clause's scene happens, not a wish of its own
    if not told and said is None and wished is None:
        asks.unread.append(clause.strip(" 。.!！?？")[:_MAX_TEXT])


def _only_a_time(clause: str, chinese: bool) -> bool:
    """Whether `clause` names a time and (almost) nothing else."""
    rest = clause
    for time in named.read(clause, chinese).times:
        rest = rest.replace(time, "")
    return rest != clause and len(rest.strip(" 。.!！?？夜晚上那天时,")) <= 1


def _thing(thing: str, chinese: bool) -> str:
    """ "dust storm" -> "the dust storm" (English names a thing with its article)."""
    if chinese or not thing[:1].islower() or thing.lower().startswith(("a ", "an ", "the ")):
        return thing
    return f"the {thing}"


def read_cast(brief: ChapterBrief) -> Cast:
    """Who and what the chapter is about, and what the writer asked for (kept by brief: a
    chapter's writer reads the casts of the book's earlier chapters for each of its banks)."""
    kept = _CASTS.get(id(brief))
    if kept is not None and kept[0] is brief:
        return kept[1]
    # The dead do not walk again (issue 48): the story memory says who died before this chapter.
    dead, words = set(brief.memory.get("dead") or ()), words_for(brief)
    alive = tuple(p for p in _people(brief.bible) if p.name not in dead)
    cast = Cast(alive or (Person(words.someone, "hero", ""),), _places(brief.bible, words))
    cast = _asked(brief, cast)
    if len(_CASTS) >= 1024:
        _CASTS.clear()
    _CASTS[id(brief)] = (brief, cast)
    return cast


#: Casts by brief (held, so its id is its own), the last read.
_CASTS: dict[int, tuple[ChapterBrief, Cast]] = {}


def sentence(text: str, words: ChapterWords) -> str:
    text = text.strip()
    return text if not text or text.endswith(_ENDS) else text + words.end


def fill(pattern: str, chinese: bool, **slots: str) -> str:
    """`pattern` with `slots` and their capitalised forms ({hero} and {Hero}); a name inside an
    English sentence is "the Heart of Mars", not "The Heart of Mars"."""
    values = {
        key: "the " + value[4:] if value.startswith("The ") and not chinese else value
        for key, value in slots.items()
    }
    values |= {cap(key): cap(value) for key, value in slots.items()}
    return pattern.format(**values)


def chapter_place(brief: ChapterBrief, cast: Cast) -> str:
    """Where the chapter is: the place its outline entry names, else one in turn by number."""
    names = [name for name, _ in cast.places]
    named = mentions(f"{brief.title} {brief.summary}", names, fold=brief.language != "zh")
    return named[0] if named else names[(brief.number - 1) % len(names)]


def other_for(brief: ChapterBrief, cast: Cast) -> Person | None:
    """Who the hero meets: one the writer asked for, or the outline entry names, else in turn."""
    others = list(cast.people[1:])
    by_name = {person.name: person for person in others}
    named = mentions(brief.summary, list(by_name), fold=brief.language != "zh")
    for name in [*cast.asked_people, *named]:
        if name in by_name:
            return by_name[name]
    return others[(brief.number - 1) % len(others)] if others else None


#: The kinds that need someone named to happen to (a death with nobody to die is not written).
_NEEDS_SOMEONE = ("death", "reveal", "confession")
Asked = tuple[str, list[str]]


def _scene(
    clause: str,
    words: ChapterWords,
    people: Sequence[str],
    places: Sequence[str],
    at: str,
    thing: str | None,
) -> tuple[str, dict[str, str]] | None:
    """The scene a plot wish asks for ("Kill Ada Eze", "吴道长回到洛阳", issue 69), never the
    wish pasted: its kind's pattern and slots, the `people` (the hero first) and the place of
    `places` it names (else `at`); None: none asked, or no one named whom its kind needs. A
    death is said so that the continuity reader reads one."""
    asked = _scene_asked(clause, words, people)
    if asked is None:
        return None
    kind, named = asked
    hero, who = people[0], named[0] if named else people[0]
    others = [n for n in (*named[1:], *people) if n != who]
    other = others[0] if others else who
    witness = hero if who != hero else other
    place = next((p for p in sorted(places, key=len, reverse=True) if p and p in clause), at)
    slots = {"who": who, "other": other, "witness": witness, "place": place, "hero": hero}
    slots["thing"] = thing or words.scene_thing.get(kind, "")
    return words.scenes[kind], slots


def _scene_asked(clause: str, words: ChapterWords, people: Sequence[str]) -> Asked | None:
    """The first scene kind `clause` asks for and whom it names, in order (who dies first)."""
    kinds = words.scene_kinds.items()
    found = next(((k, m) for k, p in kinds if (m := re.search(p, clause, re.I))), None)
    if found is None:
        return None
    kind, match = found
    named = sorted((n for n in people if n and n in clause), key=clause.index)
    if kind == "death" and re.search(words.transitive, clause[: match.end() + 1], re.I):
        after = clause[match.end() :]  # "kill Ada": Ada dies
        named = sorted((n for n in people if n and n in after), key=after.index) or named
    if not named and kind in _NEEDS_SOMEONE:
        return None
    return kind, named
