# ruff: noqa: RUF001 - Chinese text uses full-width punctuation on purpose
"""Who does a Chinese idea's hero harm, and whole names the tagger cuts (issue 76, second walk).
The one named after the hero whose clause goes on to a verb of harm (被宰相李林甫诬陷, 沈万川
……追杀他, 遭到上校维克多·凯恩的追杀, 与教主厉无痕为敌) or whose name a verb against them opens
(对抗……黑山老妖) is the rival. A compound surname opens a name with the given name after it
(欧阳 + 照, 司马 + 青); a transliteration joined by a middle dot (维克多 · 凯恩) is one name."""

import re

from infinite_scribe.text import named_zh, segment, vocabulary

_HARMING = tuple(vocabulary.longest_first(vocabulary.words("zh", "harming_verbs")))
_AGAINST = tuple(vocabulary.words("zh", "against_verbs"))
COMPOUND_SURNAMES = vocabulary.words("zh", "compound_surnames")
_CLAUSE = re.compile("[，,。；;！!？?、]")
DOTS = "·・•‧"
#: Tags that never begin a given name: a preposition, a particle, a conjunction, a pronoun.
_NOT_GIVEN = ("p", "u", "x", "c", "r", "y", "f", "d", "m")


def harming(text: str, people: list[str] | tuple[str, ...]) -> tuple[str, ...]:
    """The people, not the first named, who harm someone in their clause: a verb of harm after
    their name with no passive (被) or other person between, or a verb against them before."""
    found = []
    first = min(people, key=lambda p: _at(text, p)) if people else None
    for person in people:
        at = _at(text, person)
        if person == first or at < 0:
            continue
        rest = _CLAUSE.split(text[at + len(person) :])[0]
        before = _CLAUSE.split(text[:at])[-1]
        verb = next((rest.find(v) for v in _HARMING if v in rest), -1)
        between = rest[: max(verb, 0)]
        harms = verb >= 0 and "被" not in between and not _names(between, people)
        against = any(v in before for v in _AGAINST) and not _names(before, people)
        if harms or (against and "被" not in before):
            found.append(person)
    return tuple(found)


def harms(clause: str) -> bool:
    """Whether a clause says a harm (……与帮主萧寒为敌, ……追杀他)."""
    return any(verb in clause for verb in _HARMING)


def _at(text: str, person: str) -> int:
    at = text.find(person)
    return at if at >= 0 else len(text)


def _names(said: str, people: list[str] | tuple[str, ...]) -> bool:
    return any(p in said for p in people)


def _han(word: str) -> bool:
    return bool(word) and all("\u4e00" <= c <= "\u9fff" for c in word)


def compound_name(pairs: list[tuple[str, str]], index: int) -> str | None:
    """A compound surname and the given name after it (欧阳/ns + 照/v + 被: 欧阳照), or a name
    tagged whole that opens with one (诸葛兰)."""
    word = pairs[index][0]
    if word not in COMPOUND_SURNAMES or index + 1 >= len(pairs):
        return None
    given, flag = pairs[index + 1]
    if not _han(given) or len(given) > 2 or flag.startswith(_NOT_GIVEN):
        return None
    return word + given


def dotted_name(pairs: list[tuple[str, str]], index: int) -> str | None:
    """A transliteration whose parts a middle dot joins (维克多 · 凯恩), read at its first."""
    if index and pairs[index - 1][0] in DOTS:
        return None
    parts = [pairs[index][0]]
    at = index + 1
    while at + 1 < len(pairs) and pairs[at][0] in DOTS and _han(pairs[at + 1][0]):
        parts.append(pairs[at + 1][0])
        at += 2
    if len(parts) < 2 or not _han(parts[0]) or any(len(p) > 5 for p in parts):
        return None
    return "·".join(parts)


def rest_of(last: str, before: str, word: str) -> bool:
    """Whether `word` is the rest of the name read last (凯恩 of 维克多·凯恩; 照 of 欧阳照)."""
    return bool(last) and (last == before + word or (before in DOTS and f"·{word}" in last))


#: What may follow a name: a verb, a preposition, a particle, an adverb, a locative, a stop.
_AFTER_NAME = ("v", "p", "u", "d", "f", "x")


def titled_foreign(pairs: list[tuple[str, str]], index: int) -> str | None:
    """A word the tagger calls a place right after a title or a role, that is no place the
    readers know (船长 + 费尔南多, 组长 + 山口 + 健, 主管 + 黑崎 + 隼): a person, with one
    character after it the clause goes on from as the rest of the name; or a day (`_day_named`)."""
    word, flag = pairs[index]
    if flag == "t" and index and named_zh.titled(pairs[index - 1][0]):
        return _day_named(word, pairs[index + 1][0] if index + 1 < len(pairs) else "")
    if flag != "ns" or not index or not named_zh.titled(pairs[index - 1][0]):
        return None
    # A surname first makes it a name unless it is surely a place (公司CEO + 郑海/ns + 却).
    surname = word[0] in named_zh.SURNAMES and not named_zh.surely_a_place(word)
    if not _han(word) or (named_zh.zh_place(word) and not surname):
        return None
    nxt = pairs[index + 1] if index + 1 < len(pairs) else ("", "x")
    then = pairs[index + 2][1] if index + 2 < len(pairs) else "x"
    if len(nxt[0]) == 1 and _han(nxt[0]) and not nxt[1].startswith(_AFTER_NAME):
        return word + nxt[0] if then.startswith(_AFTER_NAME) else None
    return word if nxt[1].startswith(_AFTER_NAME) else None


def _day_named(word: str, after: str) -> str | None:
    """A surname and a given name the tagger took for a day, and its last character (小哥 + 周一/t
    + 鸣): one name; a time after a title and no character is none (队长 + 周一 + a comma)."""
    surname = len(word) == 2 and word[0] in named_zh.SURNAMES
    return word + after if surname and len(after) == 1 and _han(after) else None


_MARKS = vocabulary.phrases("zh", "harm_marks")


def title(text: str, person: str) -> str | None:
    """The title or role said right before the name of one who harms the hero, after the word
    that opens the harm (被宰相李林甫: 宰相; 与魔教教主厉无痕: 魔教教主; 集团的安保主管)."""
    at = text.find(person)
    said = _CLAUSE.split(text[: max(at, 0)])[-1]
    words = segment.words(said)  # a mark is a word of its own: 义和团 holds no 和
    said = "".join(words[max((i + 1 for i, w in enumerate(words) if w in _MARKS), default=0) :])
    if at <= 0 or not (2 <= len(said) <= 8) or not _han(said):
        return None
    titled = named_zh.titled(said) or named_zh.titled(said[-2:]) or named_zh.titled(said[-3:])
    nouns = all(flag.startswith("n") for _, flag in segment.tagged(said))
    return said if titled or nouns else None


def japanese_name(pairs: list[tuple[str, str]], index: int) -> str | None:
    """A family name the tagger calls a place or a name and a given name ending in 郎 (松井 +
    太郎, 松井 + 一郎): one person's name."""
    word, flag = pairs[index]
    given = pairs[index + 1][0] if index + 1 < len(pairs) else ""
    fits = flag in ("ns", "nr") and len(word) == 2 and _han(word)
    return word + given if fits and len(given) == 2 and given.endswith("郎") else None


_MONSTER = re.compile(
    f"(?:{vocabulary.alternation('zh', 'against_verbs')})"
    "(?:[^，,。；;！!？?]{0,12}的)?"
    f"(?P<foe>[\u4e00-\u9fff]{{1,4}}[{''.join(vocabulary.characters('zh', 'monster_ends'))}])"
    "(?=[，,。；;！!？?]|$)"
)


def monster(text: str, people: list[str] | tuple[str, ...]) -> str | None:
    """The monster a verb against it ends its clause on (对抗……的黑山老妖, 铲除……的千年蛇妖):
    the one set against the hero, by its epithet, when no one named is."""
    match = _MONSTER.search(text)
    foe = match.group("foe") if match else None
    return foe if foe and not any(foe in p or p in foe for p in people) else None
