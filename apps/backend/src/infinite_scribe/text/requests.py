# ruff: noqa: RUF001, RUF002, RUF003 - Chinese text uses full-width punctuation on purpose
"""A writer's change request read by its structure (issue 55): which part of the story it
changes and the new value, whatever the phrasing.

A request names a part (a *slot*: the hero, the antagonist, the place, the time, the hero's
name) and says what it becomes. Chinese and English say it in a few shapes, each with the
slot word where a noun goes and the value as the noun phrase after the verb:

    把主角改成一名仵作 / 主角应该是老船长 / 让老船长当主角 / 故事搬到长安
    make the hero a ship's doctor / change the villain to the colony AI / the hero's name is
    Mara / I'd rather the protagonist be an old smuggler / set it in the 1920s

The slot words are data (`reading.request_*` of data/<language>.json); the shapes are the few
regular expressions below, each anchored on a slot or verb word with no unbounded run before
it, so a clause of n characters is read in O(n). Only the slot the request names is returned:
every other part of the story stays as it was.
"""

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache, partial

from infinite_scribe.domain.language import HAN
from infinite_scribe.text import segment, vocabulary
from infinite_scribe.text.facts import Facts

SLOTS = ("hero", "antagonist", "place", "time", "name")
#: A feedback is read sentence by sentence up to this many (a writer's note is far shorter; ten
#: thousand characters of one-line requests would otherwise cost tens of milliseconds).
MAX_SENTENCES = 40
#: A clause is read from its first MAX_CLAUSE characters (a writer's sentence is far shorter).
MAX_CLAUSE = 400
_DATA_NAMES = {"hero": "hero", "antagonist": "foe", "place": "place", "time": "time"}


@dataclass(frozen=True)
class Change:
    """One part of the story a request changes and its new value (a noun phrase)."""

    slot: str
    value: str


def _alternation(language: str, slot: str) -> str:
    data_name = _DATA_NAMES.get(slot, slot)
    words = vocabulary.longest_first(vocabulary.words(language, f"request_{data_name}"))
    # English slot words are written with "-" for a space ("main-character").
    return "|".join(re.escape(word).replace("\\-", r"\s+") for word in words)


#: A list of the `reading` section as a group of alternatives, a space any white space.
_any = partial(vocabulary.either, spaced=True)


@cache
def _shapes(language: str) -> tuple[tuple[str, re.Pattern[str]], ...]:
    """(slot, pattern with a `value` group), tried in order: the first match wins."""
    s = {slot: _alternation(language, slot) for slot in SLOTS}
    return _zh_shapes(s) if language == "zh" else _en_shapes(s)


def _zh_shapes(s: dict[str, str]) -> tuple[tuple[str, re.Pattern[str]], ...]:
    should = f"{_any('zh', 'request_should')}?" * 2  # 也必须是, 最好能是
    becomes = _any("zh", "request_becomes")
    lead = f"{_any('zh', 'request_leads')}?{_any('zh', 'request_stories')}?"
    # "故事搬到唐朝" moves the story in time: `changed` tells a time from a place.
    moves, leads = _any("zh", "request_moves"), _any("zh", "request_lead_roles")
    called = f"{_any('zh', 'request_named_heroes')}(?:改)?{_any('zh', 'request_called')}"
    swapped = f"{_any('zh', 'request_swaps')}{leads}[，,：:为成]?"
    played = rf"让(?P<value>[^，,]{{1,30}}?)(?:来)?{_any('zh', 'request_plays')}{leads}"
    moved = f"{lead}{_any('zh', 'request_movables')}{should}{moves}"
    # The hero's name (女主的名字), never someone else's (白三爷的名字: text/renames.py).
    owned = f"(?:{_any('zh', 'request_named_heroes')}的|(?<!的))"
    return (
        ("name", re.compile(f"{lead}{owned}(?:{s['name']})" + should + becomes + r"(?P<value>.+)")),
        ("name", re.compile(called + r"(?P<value>.+)")),
        *(
            (slot, re.compile(f"{lead}(?:{s[slot]})" + should + becomes + r"(?P<value>.+)"))
            for slot in ("hero", "antagonist", "place", "time")
        ),
        ("hero", re.compile(swapped + r"(?P<value>.+)")),
        ("hero", re.compile(played)),
        ("place", re.compile(moved + r"(?P<value>.+)")),
    )


def _en_shapes(s: dict[str, str]) -> tuple[tuple[str, re.Pattern[str]], ...]:
    the = rf"(?:{_any('en', 'determiners')}\s+)?"
    be = rf"{_any('en', 'request_modals')}?\s*{_any('en', 'copulas_becoming')}\s+"
    be += rf"(?:{_any('en', 'request_renamed')}\s+)?"
    named = r"(?P<value>[A-Z][\w'’-]*(?:\s+[A-Z][\w'’-]*){0,2})"
    # "call the hero Mara", "rename the villain (Ada Voss) to Voss": who, then the name.
    rename = rf"\b(?i:{_any('en', 'request_namings')}\s+{the}(?:"
    to = rf")\s+(?:(?-i:[A-Z][\w'’-]*\s+){{1,3}}(?:to|as)\s+|(?:to\s+|as\s+)?)){named}"
    hero = s["hero"]
    set_in = rf"{_any('en', 'request_settings')}\s+{_any('en', 'request_onto')}"
    # "Luca Moretti is the rival", "make Luca Moretti the rival": the name, then the role.
    makes, not_names = _any("en", "request_makes"), _any("en", "determiners")
    who = (rf"^\s*(?!{not_names}\b)(?-i:{named})\s+{be}", rf"\b{makes}\s+(?-i:{named})\s+")
    return (
        *(
            (slot, re.compile(rf"{said}{the}(?:{s[slot]})\b", re.I))
            for slot in ("hero", "antagonist")
            for said in who
        ),
        ("name", re.compile(rename + f"{hero}|{_any('en', 'object_pronouns')}" + to)),
        ("name", re.compile(rf"\b(?:{hero})(?:'s|’s)?\s+name\s+{be}{named}", re.I)),
        ("antagonist", re.compile(rename + s["antagonist"] + to)),
        *(
            shape
            for slot in ("hero", "antagonist", "place", "time")
            for shape in _en_slot(slot, s[slot], the, be)
        ),
        ("place", re.compile(rf"\b{set_in}\s+(?P<value>.+)", re.I)),
    )


def _en_slot(slot: str, words: str, the: str, be: str) -> tuple[tuple[str, re.Pattern[str]], ...]:
    noun = rf"{the}(?:{words})"
    makes, changes = _any("en", "request_makes"), _any("en", "request_changes")
    return tuple(
        (slot, re.compile(pattern, re.I))
        for pattern in (
            rf"\b{makes}\s+{noun}\s+(?:be\s+|become\s+)?(?P<value>.+)",
            rf"\b{changes}\s+{noun}\s+{_any('en', 'request_intos')}\s+(?P<value>.+)",
            rf"\breplace\s+{noun}\s+with\s+(?P<value>.+)",
            rf"\b(?:{words})\s*(?::|->|→|=)\s*(?P<value>.+)",
            rf"\b(?:{words})\s+{be}(?P<value>.+)",
        )
    )


_ZH_CUT = re.compile(rf"[，,；;。！!？?、\n]|{_any('zh', 'request_cuts')}")
_EN_CUT = re.compile(rf"[,;.!?\n]|\s{_any('en', 'request_cuts')}\s", re.I)
_EN_OPENS = re.compile(rf"{_any('en', 'value_openers')}\s|[A-Z0-9]")


def read_change(clause: str, language: str) -> Change | None:
    """The part of the story `clause` asks to change and its new value, or None when it asks
    for no such change (or asks in a shape the reader does not know: it is then said so)."""
    for slot, shape in _shapes(language):
        match = shape.search(clause)
        if match is None:
            continue
        # English keeps the antagonist's article ("faces the colony AI"), as the idea reader does.
        keep = language == "en" and slot == "antagonist"
        value = value_of(match.group("value"), language, keep_article=keep)
        if value is None:
            continue
        # "the hero should be Mara": a name, not a role ("a Martian", with its article, is one).
        bare = not _EN_ARTICLE.match(match.group("value").strip())
        if language == "en" and slot == "hero" and bare and value[0].isupper() and " " not in value:
            return Change("name", value)
        return Change(slot, value)
    return None


def value_of(raw: str, language: str, keep_article: bool = False) -> str | None:
    """The noun phrase a request gives as the new value: up to where the clause goes on
    ("，而不是…", ", not ..."), without its polite tail ("吧", "instead"); None when what
    follows the verb is not a noun phrase ("主角是不是太弱", "make the hero braver")."""
    if language == "zh":
        value = _ZH_CUT.split(raw, maxsplit=1)[0].strip()
        if value.startswith(_ZH_NOT_VALUES):
            return None
    else:
        value = _EN_CUT.split(raw, maxsplit=1)[0].strip()
        if not _EN_OPENS.match(value):
            return None
    return _trimmed(value, language, keep_article) or None


def _trimmed(value: str, language: str, keep_article: bool) -> str:
    tails = _ZH_TAILS if language == "zh" else _EN_TAILS
    changed = True
    while changed and value:
        changed = False
        for tail in tails:
            if value.lower().endswith(tail) and len(value) > len(tail):
                value, changed = value[: -len(tail)].strip(), True
    if not keep_article:
        value = without_measure(value, language)
    return value.strip(" \"'“”‘’「」")[:100]


_ZH_MEASURE = re.compile(
    f"^(?:[一两几]?[{''.join(vocabulary.characters('zh', 'request_measures'))}])(?=.)"
)
_EN_ARTICLE = re.compile(rf"^{_any('en', 'request_measures')}\s+(?=\S)", re.I)


def without_measure(phrase: str, language: str) -> str:
    """A noun phrase without its measure word or article (一座海岛: 海岛, "a chase": chase)."""
    pattern = _ZH_MEASURE if language == "zh" else _EN_ARTICLE
    return pattern.sub("", phrase.strip(), count=1)


def _longest(name: str) -> tuple[str, ...]:
    return tuple(sorted(vocabulary.phrases("zh", name), key=len, reverse=True))


_ZH_NOT_VALUES, _ZH_TAILS = _longest("request_not_values"), _longest("request_values_trailing")
_EN_TAILS = tuple(" " + tail for tail in vocabulary.phrases("en", "request_values_trailing"))


def changed(change: Change, read: Callable[[str], Facts], time: re.Pattern[str]) -> Facts:
    """The facts a change asks for, only its own slot set. A hero's value is read as an idea
    is ("火星上的女法医": the role, and the place it names); a "place" that is a time ("set it
    in the 1920s", "故事搬到唐朝") is the time."""
    value = change.value
    if change.slot == "hero":
        # "火星上的女法医": the role, and the place it names; else the phrase as the writer gave it
        wished = read(value)
        # "火星上的女法医" is on 火星; "年迈的飞船机械师" is a mechanic, not on a ship.
        if wished.place and wished.hero and wished.place + wished.hero not in value:
            return Facts(hero=wished.hero, place=wished.place)
        return Facts(hero=value)
    if change.slot == "antagonist":
        return Facts(antagonist=value)
    timely = time.fullmatch(value) or time.fullmatch(f"the {value}") or _times_only(value)
    if change.slot == "time" or (change.slot == "place" and timely):
        return Facts(time=value)
    if change.slot == "place":
        return Facts(place=value, places=(value,))
    return Facts(hero_name=value)


def _times_only(value: str) -> bool:
    """Whether a Chinese value is words of time and numbers only (1987年冬天, 三年后): a time."""
    return bool(HAN.search(value)) and all(f[:1] in "tmf" for _, f in segment.tagged(value))


# Where one clause asks several changes ("make the hero a pilot and set it on Venus"): each part.
_PARTS = {
    "zh": re.compile(r"[，,]"),
    "en": re.compile(rf",\s*|\s+and\s+(?={_any('en', 'request_verbs')}\b)", re.I),
}


def by_clause(
    feedback: str, clauses: re.Pattern[str], read: Callable[[str], Facts], styles: tuple[str, ...]
) -> Facts:
    """What a feedback asks for, clause by clause (the later over the earlier). Each clause is
    cut before parsing: its patterns search it lazily, so a clause of n characters with no
    keyword costs n^2 (10,000 characters held the loop for seconds, issue 55)."""
    facts = Facts(styles=styles)
    for clause in clauses.split(feedback)[:MAX_SENTENCES]:
        facts = read(clause.strip()[:MAX_CLAUSE]).over(facts)
    return facts


def read_changes(
    clause: str, language: str, read: Callable[[str], Facts], time: re.Pattern[str]
) -> Facts | None:
    """The facts every change `clause` asks for (the later over the earlier), or None."""
    found = changes_in(clause, language)
    if not found:
        return None
    facts = Facts()
    for change in found:
        facts = changed(change, read, time).over(facts)
    return facts


def changes_in(clause: str, language: str) -> list[Change]:
    """Every change `clause` asks for, part by part, in order."""
    parts = _PARTS[language].split(clause)
    found: list[Change] = []
    for index, part in enumerate(parts):
        change = read_change(part, language)
        if change is None and index + 1 < len(parts):  # 换个主角，一名铁匠
            comma = "，" if language == "zh" else ", "
            change = read_change(f"{part}{comma}{parts[index + 1]}", language)
        if change is None and found and found[-1].slot == "hero":
            change = _named_after(part, language)  # 主角改成一个飞行员，叫艾达: the hero's name
        if change is not None:
            found.append(change)
    return found


_NAMED_AFTER = {
    "zh": re.compile(f"^{_any('zh', 'naming')}(?P<value>[\u4e00-\u9fff·]{{2,6}})$"),
    "en": re.compile(r"^(?:named|called)\s+(?P<value>[A-Z][\w'’-]*(?:\s+[A-Z][\w'’-]*)?)$"),
}


def _named_after(part: str, language: str) -> Change | None:
    """The name a part gives right after the hero's change ("，叫艾达", ", named Ada Voss")."""
    match = _NAMED_AFTER[language].match(part.strip(" .,;!?\u3002\uff01\uff1f"))
    return Change("name", match["value"]) if match else None
