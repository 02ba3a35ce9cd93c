# ruff: noqa: RUF001 - Chinese text uses full-width punctuation on purpose
"""What happens in a Chinese idea that says no role of anyone (moved out of reading_zh, issue
76): its first sentence as written, without the time and the place it opens with."""

import re

from infinite_scribe.text import segment
from infinite_scribe.text.named_zh import zh_place as _is_place
from infinite_scribe.text.rival_zh import own_clauses


def untold(first: str, places: list[str], time: str | None, people: tuple[str, ...]) -> str | None:
    """The first sentence as the event when no role is said of anyone in it, without the
    time and place it opens with (民国…的上海): as written, its own subject first."""
    event = first
    # 民国…的上海 is read as one place: after its time, the place alone.
    bare = [place.removeprefix(time).lstrip("的") for place in places if time]
    while opening := _opening(event, (time, *places, *bare)):
        event = event[len(opening) :]
    event = own_clauses(event.lstrip("的在于，,、 ").strip(), people)
    said = event  # what it says besides where and when (一座 + 会遗忘的城市: nothing)
    for found in (time, *places):
        said = said.replace(found, "") if found else said
    return event if len(event) >= 4 and len(said) >= 4 else None


def _opening(text: str, found: tuple[str | None, ...]) -> str:
    """What `text` opens with that says when or where, not what happens: the time or a place
    read, or a clause of a preposition and a place (在 + …的小镇 + a comma); "" if none."""
    told = text.lstrip("的在于，,、 ")
    lead = len(text) - len(told)
    for item in found:
        if item and told.startswith(item):
            return text[: lead + len(item)]
    clause, *after = re.split("[，,]", told, maxsplit=1)
    words = segment.words(clause)
    if after and text[:lead].strip("，, ") in ("在", "于") and words and _is_place(words[-1]):
        return text[: lead + len(clause) + 1]
    return ""
