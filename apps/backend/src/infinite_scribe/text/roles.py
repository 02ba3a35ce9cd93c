"""A role word for a character (issue 78): "the old keeper", "the general", "这位老知府",
"老铁匠" stand for the passage's only named character when the word is one said of them (a
title of one of their aliases, the head noun of who the bible says they are), or for a generic
person with an age ("the old man", "老人家"). Never a guess when two could be meant: only where
the passage so far names one known character, and never a word the lexicon's `role` pattern
does not allow before it ("the new keeper" is someone else).

Bounded: one search per sentence naming nobody, with a pattern compiled once per character.
"""

import re
from collections.abc import Iterable, Mapping
from functools import lru_cache

from infinite_scribe.text import segment
from infinite_scribe.text.rules import Rules

#: A Chinese role word: a noun of two characters or more (jieba reads some as a name's,
#: "郎中" nr), not a place's or an organisation's.
_NOUNS = ("n", "nr", "nz")
_MIN_ZH = 2
_MIN_EN = 3
_WORD_EN = re.compile(r"[a-z][a-z-]*|[,;:.()]")


def said_of(rules: Rules, name: str, aliases: Iterable[str], card: str) -> tuple[str, ...]:
    """The role words of `name`: their aliases' words that are not their name's, and the head
    noun of their card ("keeper of the Skerry light": keeper; "镇上的铁匠": 铁匠)."""
    if rules.language == "zh":
        extra = ["".join(c for c in alias if c not in name) for alias in aliases]
        nouns = [w for w, flag in segment.tagged(card, guessed=0) if flag in _NOUNS]
        return tuple(dict.fromkeys(w for w in [*extra, *nouns] if len(w) >= _MIN_ZH))
    own = set(name.lower().split())
    extra = [w for alias in aliases for w in alias.lower().split() if w not in own]
    return tuple(dict.fromkeys(w for w in [*extra, _head(card, rules)] if len(w) >= _MIN_EN))


def _head(card: str, rules: Rules) -> str:
    """The last word of an English card's first phrase: what stands before its first
    preposition, relative word or punctuation ("a retired sea captain, ..." -> captain)."""
    head = ""
    for word in _WORD_EN.findall(card.lower()):
        if not word[0].isalpha() or word in rules.role_ends:
            break
        head = word
    return head


@lru_cache(maxsize=256)
def _pattern(role: str, words: tuple[str, ...]) -> re.Pattern[str] | None:
    if not role or not words:
        return None
    said = "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))
    return re.compile(role.replace("{role}", said))


class Roles:
    """Who a role word of a sentence is: the passage's only named character, if it is theirs."""

    def __init__(self, rules: Rules, names: Mapping[str, str], cards: Mapping[str, str]) -> None:
        self.rules, self.names, self.cards = rules, names, cards
        self._words: dict[str, tuple[str, ...]] = {}

    def resolved(self, sentence: str, sole: str) -> str:
        """`sentence` with its first role word of `sole` named ("the old keeper lit it" ->
        "Desmond Clay lit it")."""
        if sole not in self._words:
            aliases = [a for a, n in self.names.items() if n == sole and a != sole]
            self._words[sole] = said_of(self.rules, sole, aliases, self.cards.get(sole, ""))
        pattern = _pattern(self.rules.role, self._words[sole])
        return sentence if pattern is None else pattern.sub(sole, sentence, count=1)
