"""Plot wishes written as scenes (issue 69): "Kill Ada Eze", "吴道长回到洛阳", "add a chase
across the rooftops": a death, a return, a fight, a chase, an arrival, a meeting, a reveal or a
confession becomes one beat with the characters and the place the wish names, from the kind's
pattern (data/<language>.json, `chapters.scenes`); the wish itself is never pasted. A death is
written so the continuity reader reads it as one ("… is dead", "……已经死了")."""

import re
from collections.abc import Sequence

from infinite_scribe.agents.llm.offline.chapter_words import ChapterWords

#: The kinds that need someone named to happen to (a death with nobody to die is not written).
_NEEDS_SOMEONE = ("death", "reveal", "confession")


def kind_of(clause: str, words: ChapterWords) -> tuple[str, re.Match[str]] | None:
    """The kind of scene `clause` asks for and where its word is, or None."""
    for kind, pattern in words.scene_kinds.items():
        if match := re.search(pattern, clause, re.I):
            return kind, match
    return None


def _after(clause: str, at: int, names: Sequence[str]) -> list[str]:
    return sorted((n for n in names if n and n in clause[at:]), key=lambda n: clause.index(n, at))


def scene(
    clause: str,
    words: ChapterWords,
    people: Sequence[str],
    places: Sequence[str],
    at: str,
    thing: str | None,
) -> tuple[str, dict[str, str]] | None:
    """The pattern of the scene `clause` asks for and its slots: the `people` (the hero first)
    it names and the place of `places` it names (else `at`); None when it asks for no scene or
    names no one a scene of its kind needs."""
    found = kind_of(clause, words)
    if found is None:
        return None
    kind, match = found
    named = sorted((n for n in people if n and n in clause), key=clause.index)
    if kind == "death" and re.search(words.transitive, clause[: match.end() + 1], re.I):
        named = _after(clause, match.end(), people) or named  # "kill Ada": Ada dies
    if not named and kind in _NEEDS_SOMEONE:
        return None
    hero = people[0]
    who = named[0] if named else hero
    others = [n for n in (*named[1:], *people) if n != who]
    other = others[0] if others else who
    witness = hero if who != hero else other
    place = next((p for p in sorted(places, key=len, reverse=True) if p and p in clause), at)
    slots = {"who": who, "other": other, "witness": witness, "place": place, "hero": hero}
    slots["thing"] = thing or words.scene_thing.get(kind, "")
    return words.scenes[kind], slots
