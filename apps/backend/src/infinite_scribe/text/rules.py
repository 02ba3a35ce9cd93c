"""The continuity reader's rules (issue 48), the lexicon's `continuity` sections (data, not
code: a phrase is added there) and compiled per novel's names.

A pattern of the data is a regular expression with holes: `{name}` (a character the memory
knows, or in English any capitalised name), `{other}` (another known character), `{value}`
(one of a trait's values), `{pronoun}` and `{gap}` (what may stand between a name and what
is said of it), `{dies}` (one of the language's phrases of dying, as the group `pred`: a
negation is looked for before it, not inside it: "再也没有醒来"), `{and}`, `{clause}`, `{cast}`,
`{adj}` and `{shade}` (the lexicon's `_about.continuity`). `compiled(language, names)` fills
them and compiles each pattern once per set of names (a novel's cast changes rarely: the cache
keeps the last).
"""

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import cache, lru_cache
from typing import Any

from infinite_scribe.text.vocabulary import LANGUAGES, lexicon, longest_first

#: An English name the memory does not know yet: one or two capitalised words.
_NEW_NAME_EN = r"[A-Z][a-z]{2,}(?: [A-Z][a-z]{2,})?"


@cache
def data() -> dict[str, Any]:
    """Each language's rules (`data/<language>.json`, `continuity`), read once per process."""
    return {language: lexicon(language).continuity for language in LANGUAGES}


def trait_word(language: str, attribute: str, value: Any) -> Any:
    """A trait's normalised value in `language`'s words (blond -> 金, none -> bald): the first
    word the lexicon lists for it, by phrase or by kind; the value itself when it lists none
    (an age, an unknown value)."""
    rules = data().get(language, {})
    for section in ("traits", "looks"):
        words = (rules.get(section, {}).get(attribute.split(":")[0]) or {}).get("values") or {}
        said = words.get(value) if isinstance(value, str) else None
        if said:
            return said[0]
    return value


def trait_note(language: str, attribute: str, was: Any, now: Any) -> str:
    """A trait said otherwise, in the writer's language ("hair: red -> black"; in Chinese with
    its own colon and arrow)."""
    rules = data().get(language, {})
    base, _, part = attribute.partition(":")
    name = str((rules.get("trait_names") or {}).get(base, base))
    name = name.format(part=part) if "{part}" in name else f"{name} ({part})" if part else name
    template = str(rules.get("trait_note") or "{attribute}: {was} -> {now}")
    said = {key: trait_word(language, attribute, v) for key, v in (("was", was), ("now", now))}
    return template.format(attribute=name, **said)


_HOLE = re.compile(r"\{\w+\}")
_GROUP = re.compile(r"\([^()]*\)[?*+]?(?:\{\d*,?\d*\})?")
_CLASS = re.compile(r"\[[^\]]*\][?*+]?(?:\{\d*,?\d*\})?")
_OPTIONAL = re.compile(r"\\.|.[?*]|.\{0,?\d*\}")


def required(pattern: str) -> str:
    """The longest run of literal text every match of `pattern` (unfilled) contains, lower
    case; "" when there is none. A sentence without it is not searched: most sentences say
    nothing of deaths or hair, and a substring test is a hundred times cheaper than a search."""
    stripped = _HOLE.sub("\0", pattern)
    while _GROUP.search(stripped):
        stripped = _GROUP.sub("\0", stripped)
    stripped = _OPTIONAL.sub("\0", _CLASS.sub("\0", stripped))
    if "|" in stripped:
        return ""
    pieces = re.split(r"[\0.+^$]", stripped)
    longest = max(pieces, key=len, default="")
    # One Han character is selective enough ("岁", "发"); one Latin letter is not.
    useful = len(longest.strip()) >= 2 or not longest.strip().isascii()
    return longest.lower() if useful else ""


#: A pattern that opens on a group of plain words: "(?:buried|mourned|laid out) {name}".
_OPENING_WORDS = re.compile(r"\(\?:((?:[\w' -]+\|)+[\w' -]+)\)(?![?*{])")


def any_of(words: Iterable[str]) -> re.Pattern[str]:
    """One search for any of `words` (literal): a loop of substring tests in Python costs a
    bytecode round per word, this one scan in C."""
    ordered = longest_first({w for w in words if w})
    return re.compile("|".join(re.escape(w) for w in ordered) or "(?!x)x")


def one_of(pattern: str) -> tuple[str, ...]:
    """The words one of which every match of `pattern` opens with, lower case, when it opens
    on a group of plain words (`required` finds no literal in an alternation); () otherwise."""
    found = _OPENING_WORDS.match(pattern)
    words = tuple(w.lower() for w in found.group(1).split("|")) if found else ()
    return words if all(w.strip() for w in words) else ()


@dataclass(frozen=True)
class Pattern:
    """A compiled pattern and the literal text a sentence needs for it to match at all (and
    the words one of which it needs, when it opens on a group of them)."""

    regex: re.Pattern[str]
    needs: str
    one_of: tuple[str, ...] = ()

    def finditer(self, sentence: str, lowered: str) -> Iterator[re.Match[str]]:
        if self.needs and self.needs not in lowered:
            return iter(())
        if self.one_of and not any(word in lowered for word in self.one_of):
            return iter(())
        return self.regex.finditer(sentence)


@dataclass(frozen=True)
class Trait:
    """One attribute's patterns; `canonical` maps a said value to its canonical one."""

    attribute: str
    patterns: tuple[Pattern, ...]
    canonical: dict[str, str]


@dataclass(frozen=True)
class Rules:
    """One language's rules, compiled for one set of names; what each list of the data says is
    the lexicon's `_about.continuity`."""

    language: str
    sentence: re.Pattern[str]
    death: tuple[Pattern, ...]
    missing: tuple[Pattern, ...]
    alive: tuple[Pattern, ...]
    acts: re.Pattern[str] | None
    traits: tuple[Trait, ...]
    vows: tuple[Pattern, ...]
    payoffs: tuple[str, ...]
    negations: tuple[str, ...]
    remembrance: tuple[str, ...]
    stop_words: frozenset[str]
    not_names: frozenset[str]
    not_after: re.Pattern[str] | None = None
    #: How far before a death a negation or a doubt is looked for (characters).
    negation_reach: int = 16
    doubts: tuple[str, ...] = ()
    perceives: tuple[str, ...] = ()
    not_doubts: tuple[str, ...] = ()
    pronoun_starts: tuple[tuple[str, str], ...] = ()
    pronoun_inside: re.Pattern[str] | None = None
    pronoun_alone: re.Pattern[str] | None = None
    #: English number words -> their value ("thirty" -> 30).
    number_words: tuple[tuple[str, int], ...] = ()
    #: Any known name (None without a cast): which characters a sentence names.
    cast: re.Pattern[str] | None = None
    changes: tuple[str, ...] = ()
    death_cues: re.Pattern[str] | None = None
    not_acts: frozenset[str] = frozenset()
    act_starts: tuple[str, ...] = ()
    act_places: tuple[str, ...] = ()
    #: The prepositions whose phrase stands between a Chinese name and its verb ("替", "给").
    act_preps: tuple[str, ...] = ()
    #: What remembers a character only before their act ("In his letter, Tobias said").
    remembrance_before: tuple[str, ...] = ()
    #: A role word standing for a character, `{role}` being their words (text/roles.py).
    role: str = ""
    #: What ends an English card's first phrase (its head noun is the word before).
    role_ends: frozenset[str] = frozenset()
    #: What says the sentence before was wrong ("was false"): its deaths are taken back.
    disproofs: re.Pattern[str] = re.compile("(?!x)x")
    #: A rank or title before a name, lower case ("captain"): not part of a new name.
    titles: frozenset[str] = frozenset()


def _names(names: tuple[str, ...], new_names: bool) -> str:
    # An alias opening in lower case ("the Duchess") opens a sentence capitalised too.
    said = {n for n in names if n} | {n[0].upper() + n[1:] for n in names if n[:1].islower()}
    known = "|".join(re.escape(n) for n in longest_first(said))
    options = [option for option in (known, _NEW_NAME_EN if new_names else "") if option]
    # The name itself is matched case-sensitively ("Will" is a name, "will" is not).
    return f"(?-i:{'|'.join(options)})" if options else "(?!x)x"


def _filled(pattern: str, holes: dict[str, str]) -> str:
    for hole, value in holes.items():
        pattern = pattern.replace("{" + hole + "}", value, 1 if hole == "name" else -1)
    return pattern.replace("{name}", "(?P=name)")


def _compile(patterns: list[str], holes: dict[str, str]) -> tuple[Pattern, ...]:
    return tuple(
        Pattern(re.compile(_filled(p, holes), re.IGNORECASE), required(p), one_of(p))
        for p in patterns
    )


def _trait(attribute: str, trait: dict[str, Any], holes: dict[str, str]) -> Trait:
    canonical: dict[str, str] = {}
    for value, said in (trait.get("values") or {}).items():
        canonical.update({word.lower(): value for word in said})
    if "number" in trait:
        value_group = f"(?P<value>{trait['number']})"
    else:
        words = "|".join(re.escape(w) for w in sorted(canonical, key=len, reverse=True))
        value_group = f"(?P<value>{words})"
    filled = holes | {"value": value_group}
    patterns = _compile(trait["patterns"], filled)
    return Trait(attribute, patterns, canonical)


def _holes(spec: dict[str, Any], names: tuple[str, ...], english: bool) -> dict[str, str]:
    """Every hole's regular expression, the composite ones (made of others) first."""
    simple = {"pronoun": "(?:" + "|".join(spec["pronouns"]) + ")", "cast": _names(names, False)}
    composite = {
        key: _filled(spec[key], simple) for key in ("clause", "and", "adj", "shade") if key in spec
    }
    dies = "|".join(_filled(p, simple) for p in spec.get("dies", ()))
    holes = {"dies": f"(?P<pred>{dies})"} | composite | {"gap": _filled(spec["gap"], simple)}
    holes |= {"name": f"(?P<name>{_names(names, english)})"} | simple
    return holes | {"other": f"(?P<other>{_names(names, False)})"}


def _alternation(patterns: list[str]) -> re.Pattern[str] | None:
    """The patterns as one (each a regular expression), matched where a text starts."""
    return re.compile("|".join(f"(?:{p})" for p in patterns)) if patterns else None


def _act_pattern(spec: dict[str, Any], names: tuple[str, ...], english: bool) -> str:
    """A known name, a short gap and a verb (text/acts.py); in English also a speech verb
    before the name ('"Go," snapped Mara')."""
    verbs = longest_first({*spec["acts"], *spec.get("past_irregular", ())})
    acts = "|".join(re.escape(a) for a in verbs)
    acts += "".join(f"|{form}" for form in spec.get("act_forms", ()))  # patterns, not words
    if english:
        acts += r"|[a-z]+ed\b"  # any past form in -ed
    act_pattern = f"(?P<name>{_names(names, False)}){spec['act_gap']}(?P<verb>{acts})"
    if english:
        said = "|".join(spec["acts_before"])  # '"Go," said Mara'
        act_pattern += rf"\b|\b(?:{said}) (?P<said>{_names(names, False)})"
    return act_pattern


#: The rules' fields that are the data's lists as they are: required, optional, word sets.
_GIVEN = ("payoffs", "negations", "remembrance")
_MAYBE = ("not_doubts", "perceives", "changes", "act_starts", "act_places", "act_preps")
_SETS = ("not_names", "not_acts", "titles", "role_ends")


#: The casts whose rules stay compiled (about 0.35 MB each): one per novel a worker checks or
#: drafts in turn. A cast's rules take 60-90 ms to compile; with 8 kept, a worker taking 16
#: novels in turn compiled at every chapter (117 ms of CPU a chapter read against 18).
COMPILED_CASTS = 64


@lru_cache(maxsize=COMPILED_CASTS)
def compiled(language: str, names: tuple[str, ...]) -> Rules:
    """`language`'s rules ("zh" or "en") for a cast of `names` (sorted, for the cache)."""
    spec = data()[language]
    holes = _holes(spec, names, language == "en")
    act_pattern = _act_pattern(spec, names, language == "en")
    lists: dict[str, Any] = {key: tuple(spec[key]) for key in _GIVEN}
    lists |= {key: tuple(spec.get(key, ())) for key in (*_MAYBE, "remembrance_before")}
    lists |= {key: frozenset(spec.get(key, ())) for key in _SETS}
    lists |= {key: _compile(spec[key], holes) for key in ("death", "missing", "alive", "vows")}
    return Rules(
        language=language,
        sentence=re.compile(spec["sentence"]),
        acts=re.compile(act_pattern, re.IGNORECASE) if names else None,
        traits=tuple(_trait(a, t, holes) for a, t in spec["traits"].items()),
        stop_words=frozenset(spec["stop_words"]),
        not_after=_alternation(spec.get("not_after", ())),
        negation_reach=int(spec.get("negation_reach", 16)),
        doubts=tuple(spec["negations"]) + tuple(spec.get("doubts", ())),
        pronoun_starts=tuple(spec.get("pronoun_starts", {}).items()),
        pronoun_inside=re.compile(spec["pronoun_inside"]) if "pronoun_inside" in spec else None,
        pronoun_alone=re.compile(spec["pronoun_alone"]) if "pronoun_alone" in spec else None,
        number_words=tuple(spec.get("number_words", {}).items()),
        cast=re.compile(_names(names, False)) if names else None,
        death_cues=any_of(spec.get("death_cues", ())),
        disproofs=any_of(spec.get("disproofs", ())),
        role=str(spec.get("role", "")),
        **lists,
    )
