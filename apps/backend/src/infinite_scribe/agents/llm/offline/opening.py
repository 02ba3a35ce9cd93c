# ruff: noqa: RUF001 - Chinese text uses full-width punctuation on purpose
"""How a story's first sentence opens on its hero (the premise's `{hero_does}`): with the role
and name the writer gave ("Mara Quinn, a salvage pilot,"), with the name and aside the writer's
own sentence opens on ("Odile Marchetti, who blows glass in Murano,"), or with the stand-in
("a stranger") only where the writer said nothing happens; never the stand-in beside a
sentence that has its own subject (issue 76: "a stranger Odile Marchetti has until ...")."""

import re

from infinite_scribe.agents.llm.offline.words import Words
from infinite_scribe.text import vocabulary
from infinite_scribe.text.facts import Facts

#: A role only "the" opens ("the last witch", never "a last witch").
_DEFINITE = vocabulary.words("en", "definite_adjectives")
#: A function word opening the writer's sentence has its capital only from it ("After the war").
_FUNCTION_WORDS = vocabulary.words("en", "run_openers") | vocabulary.words("en", "stop")


def opening(facts: Facts, name: str | None, event: str | None, someone: str) -> tuple[str, str]:
    """(the words that name the hero, what happens after them) in English; `event` as the
    story tells it (renamed), `someone` the stand-in's word."""
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


def opening_zh(facts: Facts, name: str | None, event: str | None, words: Words) -> tuple[str, str]:
    """(the words that name the hero, what happens after them) in Chinese: the role and name
    read (一名女法医沈清秋), the name the writer's sentence opens on; before a sentence with its
    own subject, the named hero learning of it, else nothing; the stand-in only where nothing
    is said to happen."""
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
    """The name the event opens on with the aside after it, if any ("Odile Marchetti, who
    blows glass in Murano,"), and the rest."""
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


_IN_PLACES = vocabulary.words("en", "in_places")


def at_word(place: str, idea: str, planet: bool) -> str:
    """The word a place is told with: the writer's "on" or "aboard" ("on the Hebrides"), never
    "on" before a town or a city, which a verb said it of ("the rain falling on Harbor City":
    "in"); else "on" a planet and "in" anywhere else."""
    said = re.search(rf"\b((?i:on|aboard))\s+{re.escape(place)}", idea)
    word = said.group(1).lower() if said else ""
    if word == "on" and place.lower().split()[-1] in _IN_PLACES:
        word = ""
    return word or ("on" if planet else "in")
