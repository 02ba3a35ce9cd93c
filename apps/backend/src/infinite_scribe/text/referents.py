"""Who a sentence's pronoun is (issue 70): "Ilya came in from the rain. His hair was blond." is
about Ilya; "顾南中了一枪。他当场就死了。" about 顾南. Only where the referent is clear:

- a sentence opening on a pronoun: the one known character the sentence before names (two, or
  none, and the pronoun is left alone);
- a subject pronoun after a clause inside a sentence ("Lena fell back against the wall, and she
  was dead", a clause and then "她当场毙命"): in English the one character the sentence names,
  in Chinese the one it opens on (its topic);
- a role word ("the old keeper", "这位老知府"): the passage's only named character, if the
  word is said of them (text/roles.py).

The reader reads the resolved sentence and quotes the one written. Bounded: one search of the
cast's names per sentence (their alternation, compiled once per cast by `rules.compiled`), one
prefix test per pronoun, one search for a pronoun inside.
"""

import re
from collections.abc import Mapping

from infinite_scribe.text.roles import Roles
from infinite_scribe.text.rules import Rules

_OPENING = "\"'\u201c\u300c\u2018 \t"


class Referents:
    """Reads sentences in order; `resolved` gives each with its pronouns named."""

    def __init__(
        self, rules: Rules, names: Mapping[str, str], cards: Mapping[str, str] | None = None
    ) -> None:
        self.rules = rules
        self.names = names
        self.previous: str | None = None
        self.roles = Roles(rules, names, cards or {})
        self.people: dict[str, None] = {}  # the characters the passage names so far

    def named(self, sentence: str) -> tuple[list[str], int]:
        """The known characters `sentence` names (by name or alias; in order, once each) and
        where the first of them stands (-1: none)."""
        if self.rules.cast is None:
            return [], -1
        matches = list(self.rules.cast.finditer(sentence))
        said = [m.group() for m in matches]
        names = [self.names.get(s) or self.names.get(s[:1].lower() + s[1:]) or s for s in said]
        return list(dict.fromkeys(names)), matches[0].start() if matches else -1

    def resolved(self, sentence: str) -> str:
        named, first = self.named(sentence)
        self.people.update(dict.fromkeys(named))
        if not named and len(self.people) == 1:  # "the old keeper": the only one named
            sentence = self.roles.resolved(sentence, next(iter(self.people)))
            named, first = self.named(sentence)
        referent, self.previous = self.previous, named[0] if len(named) == 1 else None
        start = len(sentence) - len(sentence.lstrip(_OPENING))
        if referent is not None and not named:
            sentence, opened = self._opening(sentence, start, referent)
            if opened:
                self.previous = referent  # "He fell. He drowned.": still him
                named, first = [referent], start
            else:  # "过了一会儿, 他的胸口不再起伏", "That evening he sat down": the one
                # the sentence before names
                said = self._inside(sentence, referent, self.rules.pronoun_alone)
                self.previous = referent if said != sentence else None
                return said
        if self.rules.language == "zh":
            topic = named[0] if named and first == start else None
        else:
            topic = named[0] if len(named) == 1 else None
        return sentence if topic is None else self._inside(sentence, topic)

    def _opening(self, sentence: str, start: int, referent: str) -> tuple[str, bool]:
        opened = sentence[start:]
        for pronoun, stands_for in self.rules.pronoun_starts:
            if opened.startswith(pronoun) and not opened[len(pronoun) :].startswith("们"):
                said = stands_for.replace("{name}", referent)
                return sentence[:start] + said + opened[len(pronoun) :], True
        return sentence, False

    def _inside(self, sentence: str, topic: str, pattern: re.Pattern[str] | None = None) -> str:
        """A subject pronoun after a clause, as `topic` ("..., and she was dead")."""
        inside = pattern or self.rules.pronoun_inside
        if inside is None:
            return sentence
        return inside.sub(lambda m: m.group()[: -len(m.group().split()[-1])] + topic, sentence)
