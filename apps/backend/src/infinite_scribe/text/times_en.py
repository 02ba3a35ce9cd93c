# ruff: noqa: RUF001 - a writer's apostrophe may be the typographic one
"""The times an English text names: festivals, events after a word of time, times of the year
or the sky, years (text/named.py reads the rest)."""

import re
from functools import partial

from infinite_scribe.text import vocabulary

_any = partial(vocabulary.either, "en")  # a lexicon's list as a group of alternatives

#: A festival: one of `festival_heads` "of (the)" capitalised words; one of `festivals`; or
#: capitalised words ending in one of `festival_ends` never opened by a run's opener; with the
#: writer's "the".
FESTIVAL = re.compile(
    rf"\b(?:(?:[Tt]he\s+)?{_any('festival_heads')}\s+of\s+"
    r"(?:the\s+)?[A-Z][\w'’]*(?:\s+[A-Z][\w'’]*)*"
    rf"|{vocabulary.alternation('en', 'festivals')}"
    rf"|(?:the\s+)?(?:(?!(?i:{vocabulary.alternation('en', 'run_openers')})\s)[A-Z][\w'’]*\s+)+"
    rf"{_any('festival_ends')})\b|\b{_any('hours')}\b"
)
#: An event named by capitalised words ending in one of `event_ends` or `event_nouns` is a time
#: after a word of time ("before the Lammas Fair", "until the Landing Day vote"), all of it;
#: after one of place it is a place ("at the World's Fair").
_EVENT_TIME = re.compile(
    rf"\b(?i:{_any('time_prepositions')})\s+((?:the\s+)?(?:[A-Z][\w'’]*\s+)+"
    rf"(?:{_any('event_ends')}|(?i:{_any('event_nouns')})))\b"
)
#: An event said in lower case after a word of a deadline ("before the midsummer fair", "until
#: the trial"), with up to two words before its noun; never after "by" (by the market: a place).
_EVENT_SAID = re.compile(
    rf"\b(?i:{vocabulary.either('en', 'event_deadlines', spaced=True)})"
    rf"\s+(the\s+(?:[a-z][\w'’-]*\s+){{0,2}}?{_any('event_nouns')})\b"
)
#: A time of the year or the sky after a word of time ("before the next full moon", "by spring").
_NATURAL_TIME = re.compile(
    rf"\b(?i:{_any('time_prepositions')})\s+((?:the\s+)?"
    rf"(?:{_any('time_ordinals')}\s+)?{_any('natural_times')})\b"
)
#: A date: a day and a month either way round ("by 14 March", "before October 31", "the 9th of
#: May"), with the writer's "the".
_MONTH = vocabulary.alternation("en", "months")
_DAY = r"\d{1,2}(?:st|nd|rd|th)?"
_DATE = re.compile(
    rf"\b(?:(?:the\s+)?{_DAY}\s+(?:of\s+)?(?:{_MONTH})|(?:{_MONTH})\s+{_DAY})\b(?!\s*\d{{3}})"
)
#: A month of a year, one time ("in July 1576"; the month alone is no place then).
_MONTH_OF_YEAR = re.compile(rf"\b(?:{_MONTH})\s+(?:of\s+)?\d{{3,4}}\b")
#: A season of a year, one time ("the spring of 1814").
SEASON_OF_YEAR = rf"(?:the\s+)?{_any('natural_times')}\s+of\s+\d{{3,4}}"
_SEASON = re.compile(rf"\b{SEASON_OF_YEAR}\b")
_YEAR = re.compile(r"\b(?:1[0-9]|2[0-9])\d{2}s?\b")


def read(text: str) -> list[str]:
    """Every time `text` names, in the order of their kinds; one inside another is dropped
    ("the Landing Day" inside "the Landing Day vote")."""
    times = [m.group(0) for m in FESTIVAL.finditer(text)]
    times += [m.group(1) for m in _EVENT_TIME.finditer(text)]
    times += [m.group(1) for m in _EVENT_SAID.finditer(text)]
    times += [m.group(1) for m in _NATURAL_TIME.finditer(text)]
    times += [m.group(0) for m in _SEASON.finditer(text)]
    times += [m.group(0) for m in _DATE.finditer(text)]
    times += [m.group(0) for m in _MONTH_OF_YEAR.finditer(text)]
    times += [m.group(0) for m in _YEAR.finditer(text)]
    return [t for t in times if not any(t != u and t in u for u in times)]


#: Where "when" leads a time ("in the winter of 1911"): it is told with the time.
WHEN_LEADS = tuple(f"{lead} " for lead in vocabulary.phrases("en", "time_leads"))
#: The time an idea's sentence gives: a season of a year, a year, an age, a century.
WHEN = re.compile(
    rf"\b(?:{'|'.join(WHEN_LEADS)})?("
    + SEASON_OF_YEAR
    + rf"|(?:the year )?\d{{3,4}}s?\b(?: AD| BC)?|{vocabulary.alternation('en', 'ages')}"
    + r"|the \d{1,2}(?:st|nd|rd|th) century)",
    re.IGNORECASE,
)
