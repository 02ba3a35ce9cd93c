"""Who a sentence's opening pronoun is (issue 70): "Ilya came in from the rain. His hair was
blond." is about Ilya; "顾南中了一枪。他当场就死了。" about 顾南. Only where the referent is
clear: the sentence before names exactly one known character (two, or none, and the pronoun is
left alone). The reader reads the resolved sentence and quotes the one written.

Bounded: one search of the cast's names per sentence (the names' alternation, compiled once
per cast by `rules.compiled`), one prefix test per pronoun.
"""

from collections.abc import Mapping

from infinite_scribe.agents.continuity.rules import Rules

_OPENING = "\"'\u201c\u300c\u2018 \t"


class Referents:
    """Reads sentences in order; `resolved` gives each with its opening pronoun named."""

    def __init__(self, rules: Rules, names: Mapping[str, str]) -> None:
        self.rules = rules
        self.names = names
        self.previous: str | None = None

    def named(self, sentence: str) -> str | None:
        """The one known character `sentence` names (by name or alias), else None."""
        if self.rules.cast is None:
            return None
        said = {self.names.get(m.group(), m.group()) for m in self.rules.cast.finditer(sentence)}
        return said.pop() if len(said) == 1 else None

    def resolved(self, sentence: str) -> str:
        referent, self.previous = self.previous, self.named(sentence)
        if referent is None or self.previous is not None:
            return sentence  # no one to stand for, or the sentence names someone itself
        start = len(sentence) - len(sentence.lstrip(_OPENING))
        opened = sentence[start:]
        for pronoun, stands_for in self.rules.pronoun_starts:
            if opened.startswith(pronoun) and not opened[len(pronoun) :].startswith("们"):
                self.previous = referent  # "He fell. He drowned.": still him
                said = stands_for.replace("{name}", referent)
                return sentence[:start] + said + opened[len(pronoun) :]
        return sentence
