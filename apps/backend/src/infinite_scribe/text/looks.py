"""Traits by kind, not by phrase (issue 78): an attribute is a class of nouns (hair, curls,
beard, 头发, 辫子, 胡子...) and of values (red, ginger, 火红...), both data
(`continuity.looks` in `data/<language>.json`). A value said of one of the nouns, inside the
noun ("金发", "brown-eyed") or within a clause before or after it, is a trait of the person
nearest the noun in the sentence, or of the passage's only person when the sentence names no
one ("The widow's brown eyes...", "那少年..."). An attribute without nouns (height, age) is
its value alone, near the person. Ages are read as ranges ("in her thirties", "三十出头").

Bounded: a sentence without any of an attribute's cue words is not searched; each regular
expression is compiled once per language.
"""

import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

from infinite_scribe.text.rules import any_of
from infinite_scribe.text.vocabulary import lexicon, numbers

_HAN_DIGITS = numbers("zh", "digits")
#: A value that gives way to another of its look in the same sentence (a length to a colour).
_SECONDARY = "length:"
#: A person is a span of the sentence and who it names.
Person = tuple[int, int, str]
Range = tuple[re.Pattern[str], int, int, int, int | None]
Measure = tuple[re.Pattern[str], float, float, bool]


def _places(said: str) -> int:
    """Two decimal places, in digits or Chinese digits ("85", "八五": 85; "九": 90)."""
    digits = [int(c) if c.isdigit() else _HAN_DIGITS.get(c, 0) for c in said[:2]]
    return digits[0] * 10 + (digits[1] if len(digits) > 1 else 0)


def number(said: str, words: Mapping[str, int]) -> int | None:
    """An age as written: digits, Chinese numerals ("三十二") or English words ("thirty-two");
    a word the data knows ("不惑", "fiftieth", "thirties")."""
    said = said.lower()
    if said.isdigit():
        return int(said)
    if said in words:
        return words[said]
    if said[:1].isascii():
        parts = re.split(r"[- ]+", said)
        units = sum(words.get(word, 0) for word in parts if word != "hundred")
        return 100 * max(units, 1) if "hundred" in parts else units or None
    if said.startswith("十"):
        said = "一" + said
    if "十" in said:
        tens, _, ones = said.partition("十")
        return _HAN_DIGITS.get(tens, 0) * 10 + (_HAN_DIGITS.get(ones, 0) if ones else 0)
    return _HAN_DIGITS.get(said)


@dataclass(frozen=True)
class Look:
    """One attribute read by kind."""

    attribute: str
    #: The words one of which a sentence says the look with (one search, not a loop).
    cues: re.Pattern[str]
    nouns: re.Pattern[str] | None
    values: re.Pattern[str]
    canonical: dict[str, str]
    #: Ages: (pattern with group `n`, lowest, highest, scale, near), in order; a value is a range.
    ranges: tuple[Range, ...] = ()
    #: noun -> the part it names ("beard"): its value is "beard:red", compared with a beard's.
    parts: dict[str, str] | None = None
    #: What in the sentence makes its values another time's ("那年"): not read.
    not_with: tuple[str, ...] = ()
    #: A body part's side, said just before its noun ("left", "右", "双") -> the side.
    sides: tuple[tuple[str, str], ...] = ()
    #: A side that says a state by itself ("both hands": both are there).
    inherent: dict[str, str] | None = None
    #: How far (characters) before and after a noun its value is looked for (None: the language's).
    reach: tuple[int, int] | None = None
    #: What ends a noun's phrase before it ("a red scarf over her hair", "红色的帽子遮住头发").
    before_stops: re.Pattern[str] | None = None
    #: At most this many characters between the person named and the value ("Mara was
    #: short", not "The answer was short"); None: any, or the passage's only person.
    near: int | None = None
    #: Any of `ranges` (one search: most sentences with a number say no age).
    any_range: re.Pattern[str] | None = None
    #: Measures (pattern with groups `n` and `m`, the scale of each, whether `m` is decimal
    #: places): a height in feet and inches or metres, read as centimetres and then as the
    #: value whose bounds hold it.
    measures: tuple[Measure, ...] = ()
    classes: tuple[tuple[str, float, float], ...] = ()
    #: At most this many characters between the person and a measure.
    measure_near: int | None = None
    #: Words that make the value said the only one ("the only scar"): its state is "only".
    only: re.Pattern[str] | None = None
    #: Words that put the sentence at the time of the one before ("that same week", "第二天"):
    #: an age said then cannot be years above the last one.
    at_once: re.Pattern[str] | None = None


@dataclass(frozen=True)
class Looks:
    language: str
    looks: tuple[Look, ...]
    stops: re.Pattern[str]
    #: Another's (a son's, a daughter's, a portrait's), between a person and a trait.
    others: re.Pattern[str]
    #: Before another's word, what makes it the person's own ("had his mother's grey eyes").
    own: re.Pattern[str]
    reach: tuple[int, int]
    words: dict[str, int]


def _alternation(words: Sequence[str], bounded: bool) -> str:
    said = "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))
    return rf"\b(?:{said})\b" if bounded else f"(?:{said})"


def _by_word(spec: dict[str, Any], key: str) -> dict[str, str]:
    """A spec's {value: words said for it} ("values", "parts") as {word: value}."""
    return {w.lower(): value for value, said in spec.get(key, {}).items() for w in said}


def _not_after(spec: dict[str, Any], key: str) -> str:
    """What must not follow a match ("was short", not "short hair"; "黑眼圈" is no eye)."""
    return f"(?!{spec[key]})" if spec.get(key) else ""


def _numbered(form: Sequence[Any], holes: dict[str, str]) -> re.Pattern[str]:
    return re.compile(form[0].replace("{number}", holes["number"]), re.I)


def _ranges(spec: dict[str, Any], holes: dict[str, str]) -> tuple[Range, ...]:
    """The ages' ranges: a form's `near` is optional."""
    forms = spec.get("ranges", ())
    return tuple((_numbered(f, holes), *f[1:4], f[4] if len(f) > 4 else None) for f in forms)


def _measures(spec: dict[str, Any], holes: dict[str, str]) -> tuple[Measure, ...]:
    """The measures: a form marked "places" reads its digits as decimal places."""
    forms = spec.get("measures", ())
    return tuple((_numbered(f, holes), *f[1:3], len(f) > 3 and f[3] == "places") for f in forms)


def _sides(spec: dict[str, Any]) -> tuple[tuple[str, str], ...]:
    """(word, side), the longest words first."""
    pairs = ((w, side) for side, said in spec.get("sides", {}).items() for w in said)
    return tuple(sorted(pairs, key=lambda pair: -len(pair[0])))


def _look(attribute: str, spec: dict[str, Any], english: bool, holes: dict[str, str]) -> Look:
    canonical = _by_word(spec, "values")
    nouns = spec.get("nouns") or []
    ranges = _ranges(spec, holes)
    cues = any_of(w.lower() for w in spec.get("cues") or nouns or canonical)
    # One alternation may hold a group's name once: the gate's groups are unnamed.
    gate = "|".join(f"(?:{p.pattern.replace('(?P<n>', '(?:')})" for p, *_ in ranges)
    said = _alternation(list(canonical), english) if canonical else "(?!x)x"
    # What must lead a value, what must not follow it.
    values = f"{spec.get('lead', '')}(?P<v>{said})" + _not_after(spec, "not_after")
    noun = _alternation(nouns, english) + _not_after(spec, "noun_not_after")
    return Look(
        attribute,
        cues,
        re.compile(noun, re.I) if nouns else None,
        re.compile(values, re.I),
        canonical,
        ranges,
        _by_word(spec, "parts"),
        tuple(spec.get("not_with", ())),
        _sides(spec),
        spec.get("inherent"),
        tuple(spec["reach"]) if "reach" in spec else None,
        before_stops=re.compile(spec["before_stops"], re.I) if "before_stops" in spec else None,
        near=spec.get("near"),
        any_range=re.compile(gate, re.I) if ranges else None,
        measures=_measures(spec, holes),
        classes=tuple((value, low, high) for value, (low, high) in spec.get("classes", {}).items()),
        measure_near=spec.get("measure_near"),
        **{key: any_of(spec[key]) if spec.get(key) else None for key in ("only", "at_once")},
    )


@cache
def compiled_looks(language: str) -> Looks:
    spec = lexicon(language).continuity
    english = language == "en"
    words = {str(k): int(v) for k, v in (spec.get("number_words") or {}).items()}
    holes = {"number": spec["traits"]["age"]["number"]}
    looks = tuple(_look(a, s, english, holes) for a, s in spec.get("looks", {}).items())
    before, after = spec.get("look_reach", [30, 60])
    others = re.compile(_alternation(spec.get("look_others") or ["(?!x)x"], english), re.I)
    stops = re.compile(spec["look_stops"])
    own = re.compile(spec.get("look_own") or "(?!x)x", re.I)
    return Looks(language, looks, stops, others, own, (before, after), words)


def _nearest(people: Sequence[Person], start: int, end: int) -> tuple[str, int, int] | None:
    """The person nearest start:end, and the stretch between them."""
    best: tuple[int, str, int, int] | None = None
    for at, until, who in people:
        between = (until, start) if until <= start else (end, at) if at >= end else (start, start)
        if best is None or between[1] - between[0] < best[0]:
            best = (between[1] - between[0], who, *between)
    return best[1:] if best else None


class Reading:
    """Reads the looks of sentences for one language."""

    def __init__(self, language: str, card: bool = False) -> None:
        self.spec = compiled_looks(language)
        #: A text all about one person (a bible card's): its values need no name near.
        self.card = card

    def read(
        self, sentence: str, people: Sequence[Person], sole: str | None
    ) -> Iterator[tuple[str, str, Any, str, dict[str, Any]]]:
        """(attribute, who, value, said, what else the fact holds) of each look the sentence
        says, once per person."""
        lowered = sentence.lower()
        # A name says no value of its own ("白露" is not white hair).
        masked = sentence
        for at, until, _ in people:
            masked = masked[:at] + "\0" * (until - at) + masked[until:]
        for look in self.spec.looks:
            if not look.cues.search(lowered):
                continue
            only = look.only is not None and look.only.search(lowered) is not None
            at_once = look.at_once is not None and look.at_once.search(lowered) is not None
            for who, (value, said) in self._chosen(look, sentence, masked, people, sole).items():
                if only and isinstance(value, str) and value.endswith(":scarred"):
                    value = value.rpartition(":")[0] + ":only"
                yield look.attribute, who, value, said, {"at_once": True} if at_once else {}

    def _chosen(
        self, look: Look, sentence: str, masked: str, people: Sequence[Person], sole: str | None
    ) -> dict[str, tuple[Any, str]]:
        """Each person's value of `look` in the sentence: the first said, a colour before a
        length (a bob said black is black)."""
        chosen: dict[str, tuple[Any, str]] = {}
        for start, end, value, said, near in self._found(look, masked):
            who = self._whose(sentence, people, sole, (start, end), near)
            if who is None:
                continue
            if who not in chosen or str(chosen[who][0]).startswith(_SECONDARY):
                chosen[who] = (value, said)
        return chosen

    def _whose(
        self,
        sentence: str,
        people: Sequence[Person],
        sole: str | None,
        span: tuple[int, int],
        near: int | None,
    ) -> str | None:
        """The nearest person's (at most `near` away), unless another's stands between ("his
        daughter's red hair"); the passage's only person's when the sentence names no one."""
        start, end = span
        if not people:
            if self.card:
                return sole
            found = near is not None or self.spec.others.search(sentence, 0, start)
            return None if found else sole
        who, at, until = _nearest(people, start, end) or (None, 0, 0)
        if near is not None and until - at > near:
            return None
        for other in self.spec.others.finditer(sentence, at, until):
            # "...of his sister Annelise": the word before the name is her own
            if self.spec.own.search(sentence, at, other.start()):
                continue
            if until == start or sentence[other.end() : until].strip():
                return None
        return who

    def _found(self, look: Look, sentence: str) -> Iterator[tuple[int, int, Any, str, Any]]:
        """(start, end, value, said, near) of each value the sentence says."""
        if look.ranges:
            yield from self._ages(look, sentence)
        elif look.nouns is None:
            for match in look.values.finditer(sentence):
                said = match.group("v")
                value = look.canonical[said.lower()]
                yield match.start(), match.end("v"), value, said, look.near
            yield from self._measures(look, sentence)
        else:
            for match in look.nouns.finditer(sentence):
                found = self._of_noun(look, sentence, match)
                if found is not None:
                    yield match.start(), match.end(), *found, look.near

    def _of_noun(self, look: Look, sentence: str, match: re.Match[str]) -> tuple[str, str] | None:
        """(value, said) of the noun `match`: its value, as "<part>:<value>" when the noun is
        a part ("beard:red"), "<side> <part>:<state>" of a body part ("left arm:lost")."""
        said = self._value(look, sentence, match.start(), match.end())
        part = (look.parts or {}).get(match.group().lower())
        if not look.sides:
            if said is None:
                return None
            value = look.canonical[said.lower()]
            return (f"{part}:{value}" if part else value), said
        before = sentence[: match.start()].rstrip().lower()
        noun = match.group().lower()
        sides = (s for word, s in look.sides if before.endswith(word) or noun.startswith(word))
        side = next(sides, "")
        state = look.canonical[said.lower()] if said else (look.inherent or {}).get(side)
        if state is None:
            return None
        where = f"{side} {part or noun}".strip()
        # What the memory shows: the state's word with the part ("lost arm", "失去了右臂").
        english = self.spec.language == "en"
        part_said = f"{side} {match.group()}" if english and side else match.group()
        space = " " if english else ""
        return f"{where}:{state}", f"{said}{space}{part_said}" if said else part_said

    def _value(self, look: Look, sentence: str, start: int, end: int) -> str | None:
        """The value said of the noun at start:end: inside it, the last before it in its
        clause, else the first after it in its clause."""
        inside = look.values.search(sentence, start, end)
        if inside:
            return inside.group("v")
        reach_before, reach_after = look.reach or self.spec.reach
        before = sentence[max(start - reach_before, 0) : start]
        stops = [stop.end() for stop in self.spec.stops.finditer(before)]
        if look.before_stops is not None:
            stops += [stop.end() for stop in look.before_stops.finditer(before)]
            stops.sort()
        before = before[stops[-1] :] if stops else before
        found = list(look.values.finditer(before))
        if found:
            return found[-1].group("v")
        after = sentence[end : end + reach_after]
        stop = self.spec.stops.search(after)
        match = look.values.search(after[: stop.start()] if stop else after)
        return match.group("v") if match else None

    def _measures(self, look: Look, sentence: str) -> Iterator[tuple[int, int, Any, str, Any]]:
        """A measure said in numbers ("six foot two", "一米八五"), as the value it falls in."""
        for pattern, scale, minor, places in look.measures:
            for match in pattern.finditer(sentence):
                whole = number(match.group("n"), self.spec.words) or 0
                part = match.group("m") if "m" in pattern.groupindex else None
                after = (_places(part) if places else number(part, self.spec.words)) if part else 0
                size = whole * scale + (after or 0) * minor
                value = next((v for v, low, high in look.classes if low <= size <= high), None)
                if value is not None:
                    yield match.start(), match.end(), value, match.group(), look.measure_near

    def _another_time(self, look: Look, sentence: str, match: re.Match[str]) -> bool:
        """An age of another time ("那年福贵四十岁"): a word of `not_with` in its clause."""
        stops = [stop.end() for stop in self.spec.stops.finditer(sentence, 0, match.start())]
        start = stops[-1] if stops else 0
        stop = self.spec.stops.search(sentence, match.end())
        clause = sentence[start : stop.start() if stop else len(sentence)]
        return any(word in clause for word in look.not_with)

    def _ages(self, look: Look, sentence: str) -> Iterator[tuple[int, int, Any, str, Any]]:
        taken: list[tuple[int, int]] = []
        if look.any_range is None or not look.any_range.search(sentence):
            return
        for pattern, low, high, scale, near in look.ranges:
            for match in pattern.finditer(sentence):
                if any(match.start() < e and s < match.end() for s, e in taken):
                    continue
                n = number(match.group("n"), self.spec.words)
                if n is None or self._another_time(look, sentence, match):
                    continue
                taken.append((match.start(), match.end()))
                value: Any = n * scale if low == high == 0 else [n * scale + low, n * scale + high]
                yield match.start(), match.end(), value, match.group(), near
