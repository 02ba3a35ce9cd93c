"""The story memory's start (issue 48): what the bible says, read as chapter 0 of the book.

The characters' cards give the names (and aliases: a card's `aliases`, `alias` or `nickname`,
and an English full name's first name), who each is (the first sentence the card says: every
bible character's evidence), their descriptions the traits they state; the world's
locations give the places; the outline's chapters plant the threads they name (`foreshadowing`,
`setup`, `伏笔`), due at the chapter they say (`payoff_chapter`, `due_chapter`) if they do.
"""

import re
from collections.abc import Iterator, Mapping
from typing import Any

from infinite_scribe.domain.chapter_brief import chapter_outline, novel_language
from infinite_scribe.domain.novel import NovelBible
from infinite_scribe.domain.story_memory import known_cards, known_names, open_threads
from infinite_scribe.text import vocabulary
from infinite_scribe.text.reader import Known, read_chapter
from infinite_scribe.text.rules import data

_MAX_CARDS = 200
_MAX_TEXT = 2_000
_MAX_INTRO = 300
_SETUPS = ("foreshadowing", "setup", "setups", "伏笔")
_DUE = ("payoff_chapter", "due_chapter")


def _clip(value: Any) -> str:
    return " ".join(value.split())[:_MAX_TEXT] if isinstance(value, str) else ""


def _cards(bible: NovelBible) -> list[Mapping[str, Any]]:
    cards = bible.characters.get("characters")
    listed = cards if isinstance(cards, list) else []
    return [c for c in listed[:_MAX_CARDS] if isinstance(c, Mapping) and _clip(c.get("name"))]


def _aliases(card: Mapping[str, Any], language: str) -> list[str]:
    said = [card.get(key) for key in ("aliases", "alias", "nickname")]
    flat = [a for s in said for a in (s if isinstance(s, list) else [s])]
    aliases = [_clip(a)[:100] for a in flat if _clip(a)]
    name = _clip(card["name"])[:100]
    if language == "en":
        aliases += _short_name(name)
    return [a for a in dict.fromkeys(aliases) if a != name]


_TITLES = vocabulary.words("en", "titles")


def _short_name(name: str) -> list[str]:
    """The name a book calls an English character by: the first word, past any title ("Mr
    Dunbar" is Dunbar, "Dr John Watson" John): a title alone is never an alias (issue 78: "Mr"
    taken for Mr Dunbar)."""
    words = name.split(" ")
    while words and words[0].rstrip(".").lower() in _TITLES:
        words = words[1:]
    first = words[0] if words else ""
    named = len(words) < len(name.split(" ")) or len(words) > 1
    return [first] if first and named and first not in data()["en"]["not_names"] else []


_INTRO_KEYS = ("description", "role", "personality", "appearance", "background")
_SENTENCE_END = re.compile(r"(?<=[.!?\u3002\uff01\uff1f])\s*")


def _intro(card: Mapping[str, Any]) -> str:
    """Who the bible says a character is, in its own words: the first sentence of the first of
    its card's texts (the name alone when the card says nothing more)."""
    for key in _INTRO_KEYS:
        text = _clip(card.get(key))
        if text:
            return _SENTENCE_END.split(text, maxsplit=1)[0][:_MAX_INTRO]
    return _clip(card["name"])[:100]


def _subjectless_deaths(
    language: str, card: Mapping[str, Any], text: str, known: Known, said: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """A card's death said without a subject ("Deceased before the story opens: drowned...",
    "三年前已经病故"): each of its sentences naming nobody read as said of the card's character."""
    name = _clip(card["name"])[:100]
    if any(f["kind"] == "status" and f["who"] == name for f in said):
        return []
    comma = "\uff0c" if language == "zh" else ", "
    lines = [s for s in _SENTENCE_END.split(text) if s and not any(n in s for n in known.names)]
    facts = read_chapter(language, " ".join(name + comma + s for s in lines), known)["facts"]
    return [f for f in facts if f["kind"] == "status" and f["who"] == name and f["value"] == "dead"]


def _outline_threads(bible: NovelBible) -> Iterator[dict[str, Any]]:
    entries = bible.outline.get("chapters") or [
        c for act in bible.outline.get("acts") or [] if isinstance(act, Mapping)
        for c in act.get("chapters") or []
    ]  # fmt: skip
    numbered = zip(chapter_outline(bible.outline), entries, strict=False)
    for (number, _, _), entry in numbered:
        if not isinstance(entry, Mapping):
            continue
        due = next((entry[k] for k in _DUE if isinstance(entry.get(k), int)), None)
        for key in _SETUPS:
            said = entry.get(key)
            for text in said if isinstance(said, list) else [said]:
                if _clip(text):
                    quote = _clip(text)[:300]
                    yield {"kind": "thread", "who": None, "text": quote, "quote": quote,
                           "planted_chapter": number, "due_chapter": due}  # fmt: skip


def read_bible(bible: NovelBible) -> tuple[str, dict[str, Any]]:
    """(the novel's language, what its bible says as a chapter read)."""
    language = novel_language(bible)
    names: dict[str, str] = {}
    facts: list[dict[str, Any]] = []
    for card in _cards(bible):
        name = _clip(card["name"])[:100]
        names[name] = name
        for alias in _aliases(card, language):
            names.setdefault(alias, name)
            facts.append({"kind": "alias", "who": name, "alias": alias, "quote": alias})
    known = Known(names)
    for card in _cards(bible):
        name = _clip(card["name"])[:100]
        facts.append({"kind": "intro", "who": name, "quote": _intro(card)})
        for key in ("description", "appearance", "background"):
            text = _clip(card.get(key))
            if text:
                said = read_chapter(language, text, known, name)["facts"]
                facts += [f for f in said if f["kind"] in ("trait", "status")]
                facts += _subjectless_deaths(language, card, text, known, said)
    facts += list(_outline_threads(bible))
    places = bible.worldview.get("locations")
    place_names = [
        _clip(p.get("name"))[:100]
        for p in (places if isinstance(places, list) else [])[:_MAX_CARDS]
        if isinstance(p, Mapping) and _clip(p.get("name"))
    ]
    read = {"seen": list(dict.fromkeys(names.values())), "new": [], "places": place_names}
    return language, read | {"facts": facts}


def read_for(language: str, text: str, memory: Mapping[str, Any]) -> dict[str, Any]:
    """A chapter read with what the memory knows (the application's ChapterReader)."""
    names, threads = known_names(dict(memory)), open_threads(dict(memory))
    known = Known(names, list(memory["places"]), threads, known_cards(dict(memory)))
    return read_chapter(language, text, known)
