# ruff: noqa: RUF001 - Chinese text uses full-width punctuation on purpose
"""What a Chinese feedback asks to add (加入……, 加一场……): its wishes, each a thing to write or
a person told by what they are and their name (叫陆小川的助手 -> 助手陆小川); two joined by 和
each a wish of its own, unless two people own what follows (小六子和师父的感情戏: one)."""

import re
from functools import partial

from infinite_scribe.text import named, named_zh, vocabulary
from infinite_scribe.text.requests import without_measure

_words = partial(vocabulary.alternation, "zh")
#: 加 before a count (加一场雨夜追逐): a thing to write, not pasted.
_ADD_WISH = re.compile(f"(?:{_words('add_verbs')}|[加写来](?=[一两几][场段个次件位]))(.+)")
_WISH_JOINS = re.compile(_words("wish_joins"))
#: Two people joined who own what follows (小六子和师父的感情戏): one wish, not the two of them
#: added (火星沙尘暴和稀缺的……: two wishes).
_PAIR_OWNS = re.compile(
    "^(?P<one>[^一两几，、,的]{1,6})[和与](?P<two>[^一两几，、,的]{1,6})的[^，、,]+$"
)
_PEOPLE_WORDS = vocabulary.words("zh", "request_hero", "request_foe") | set(named_zh.PEOPLE_WORDS)
_TRAILING = vocabulary.phrases("zh", "trailing")
#: What a wish names before a colon says what kind it is (一条线索, then 尸体手里攥着……): the words
#: after the colon are the wish.
_LABEL = re.compile("^[\u4e00-\u9fff]{1,4}[：:](?=.)")
#: A person a wish adds by a naming verb, their name and what they are (叫陆小川的助手).
_NAMING = re.compile(rf"^(?:{_words('naming')})(?P<name>[^的]+)的(?P<what>.+)$")
_CAME_FROM = re.compile("^从[\u4e00-\u9fff]{2,4}?来的")


def clean(phrase: str) -> str:
    """A wish without its label, its punctuation and the words that only soften it (吧, 才对)."""
    phrase = _LABEL.sub("", phrase.strip(" 。，,！!？?；;：:"))
    for tail in _TRAILING:
        phrase = phrase.removesuffix(tail)
    return phrase.strip(" 。，,")[:100]


def added(clause: str) -> tuple[str, ...] | None:
    """The wishes `clause` asks to add, or None: it asks to add nothing."""
    match = _ADD_WISH.search(clause)
    if match is None:
        return None
    wished = match.group(1)
    pair = _PAIR_OWNS.match(without_measure(clean(wished), "zh"))
    pair = pair if pair and _someone(pair["one"]) and _someone(pair["two"]) else None
    parts = [wished] if pair else _WISH_JOINS.split(wished)
    things = (without_measure(clean(part), "zh") for part in parts if clean(part))
    return tuple(_introduced(thing) for thing in things)


def _someone(word: str) -> bool:
    """Whether `word` says a person: a name, a role, a kin word, the hero or the rival."""
    if named_zh.KIN.fullmatch(word) or word in _PEOPLE_WORDS:
        return True
    return word in named.read(word, True).people


def _introduced(wish: str) -> str:
    """A person a wish adds, told by what they are and their name (叫陆小川的助手 -> 助手陆小川,
    as an idea gives its hero); any other wish, or a name the reader is unsure of, as said."""
    people = named.read(wish, True).people
    if _CAME_FROM.match(wish) and people and wish.endswith(people[-1]):
        return people[-1]  # 从厦门来的教书先生林素: where she is from is her card's words
    match = _NAMING.match(wish)
    if match is None or match.group("name") not in people:
        return wish
    return match.group("what") + match.group("name")
