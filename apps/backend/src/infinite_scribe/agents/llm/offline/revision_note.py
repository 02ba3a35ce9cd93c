"""A revision's note (issue 55): what the feedback asked for, checked against the two versions.

The reader says what the writer asked (text/requests.py); the note says only
what the new version shows that the previous one did not. A change asked for but not visible
in the new version (a time the characters stage does not tell, a value the old version already
had) is said so, never reported as applied; a feedback nothing was read from is said so too.
"""

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from infinite_scribe.agents.llm.offline.words import CHINESE, Words
from infinite_scribe.text.facts import Facts

#: A proposal's fields that are about the draft, not the writer's story.
_META = frozenset({"source", "note", "revision_note", "feedback_applied"})
_MAX_NOTE = 1000
_PARTS = re.compile("[\uff0c,]|的(?=副|正)|(?<=长)(?=\\w)")


@dataclass(frozen=True)
class Claims:
    """What a revision changed (`made`) and what it was asked to but does not show (`unmade`),
    each a (value, sentence in the writer's language)."""

    made: tuple[tuple[str, str], ...]
    unmade: tuple[tuple[str, str], ...]


def claims(
    wished: Facts,
    words: Words,
    feedback: str,
    before: Mapping[str, Any] | None,
    after: Mapping[str, Any],
) -> Claims:
    """Each change the feedback asked for, as made (in `after`, not in `before`) or not."""
    old, new = _story_text(before or {}), _story_text(after)
    made: list[tuple[str, str]] = []
    unmade: list[tuple[str, str]] = []
    for value, said in _asked(wished, words, feedback):
        # "巡捕房的副探长顾远山": shown as the name and the role, each where it belongs.
        parts = [p for p in _PARTS.split(value) if p]
        more = new.count(value.lower()) > old.count(value.lower())  # a tone one concept had
        shown = more or (all(p.lower() in new for p in parts) and value.lower() not in old)
        (made if shown else unmade).append((value, said))
    return Claims(tuple(made), tuple(unmade))


def revision_note(
    wished: Facts, words: Words, feedback: str | None, before: Any, after: Any
) -> str | None:
    """The note a revision carries, in the writer's language (None for a first draft)."""
    if feedback is None:
        return None
    found = claims(wished, words, feedback, before, after)
    if not found.made and not found.unmade:
        return words.not_understood.format(feedback=feedback[:200])[:_MAX_NOTE]
    separator = "；" if words is CHINESE else "; "  # noqa: RUF001
    parts = []
    if found.made:
        parts.append(words.revised.format(changes=separator.join(s for _, s in found.made)))
    if found.unmade:
        parts.append(words.not_applied.format(changes=separator.join(s for _, s in found.unmade)))
    return ("" if words is CHINESE else " ").join(parts)[:_MAX_NOTE]


def _asked(wished: Facts, words: Words, feedback: str) -> list[tuple[str, str]]:
    """(value, sentence) for each change the reader found in the feedback."""
    changes, said = words.changes, []
    for kind in ("hero", "place", "time", "antagonist"):
        value = getattr(wished, kind)
        if value:
            said.append((value, changes[kind].format(value=value, value_a=_a(value))))
    if wished.hero_name:
        said.append((wished.hero_name, changes["name"].format(value=wished.hero_name)))
    said += [(e, changes["elements"].format(value=e)) for e in wished.elements]
    said += [(wish, changes["acts"].format(number=n, value=wish)) for n, wish in wished.acts]
    said += [(s, changes["styles"].format(value=s)) for s in wished.styles]
    for keys, tone in words.moods:
        if any(key in feedback.lower() for key in keys):
            said.append((tone, changes["tone"].format(value=tone)))
            break
    return said


def _a(value: str) -> str:
    """ "an old smuggler", "a ship's doctor" (the Chinese patterns do not use it)."""
    return f"{'an' if value[:1].lower() in 'aeiou' else 'a'} {value}"


def _story_text(proposal: Mapping[str, Any]) -> str:
    story = {key: value for key, value in proposal.items() if key not in _META}
    return json.dumps(story, ensure_ascii=False, default=str).lower()
