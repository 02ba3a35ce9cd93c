"""The offline continuity reader (issue 48): what one chapter says about the story, as facts
with the exact sentence each came from. CPU work: callers run it in a thread.

Facts (JSON, as the `Novel.Memory.ChapterChecked` event carries them):
- `{"kind": "status", "who", "value": "dead" | "missing" | "alive", "quote"}`
- `{"kind": "trait", "who", "attribute", "value", "said", "quote"}` (hair, eyes, age, height,
  profession, `relation:<other>`; `value` normalised, `said`: the word as written; read by
  phrase patterns and by kind, text/looks.py)
- `{"kind": "act", "who", "quote"}`: the character does something, here and now (a sentence
  that remembers them, or is about their death, is not an act)
- `{"kind": "thread", "who", "text", "quote"}`: a vow or promise, a setup to pay off
- `{"kind": "payoff", "thread", "quote"}`: a sentence that pays an open thread off
plus the known characters (`seen`) and places (`places`) the chapter mentions, and the
characters it names for the first time (`new`).
"""

import re
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from itertools import islice
from typing import Any

from infinite_scribe.text.acts import acts
from infinite_scribe.text.looks import Reading, number
from infinite_scribe.text.names import MAX_RULE_NAMES, names_in
from infinite_scribe.text.referents import Referents
from infinite_scribe.text.rules import Rules, Trait, any_of, compiled

#: A chapter is at most 60,000 characters (MAX_CHAPTER_TEXT): about 2,000 sentences.
MAX_SENTENCES = 4_000
_MAX_QUOTE = 300
_MAX_FACTS = 400
#: The traits a dye, lenses or a wig change.
_LOOKS = ("hair", "eyes")
#: How far before an act or a vow a negation is looked for (a death: the rules' own reach).
_REACH = 16
#: The end of a quoted speech: what it says negates no act after it ("'Not now,' snapped Bell").
_QUOTED = re.compile(r"[,.!?][\"'\u201d\u2019\u300d]\s")
_HAN_WORD = re.compile(r"[\u4e00-\u9fff]")


@dataclass(frozen=True)
class Known:
    """What the memory knows before the chapter: name or alias -> the character's name, the
    places, the open threads ((id, text)) and who each character is."""

    names: Mapping[str, str]
    places: Sequence[str] = ()
    threads: Sequence[tuple[str, str]] = ()
    #: Name -> who the bible says the character is ("keeper of the light"): their role words.
    cards: Mapping[str, str] = field(default_factory=dict)


def sentences(text: str, rules: Rules) -> Iterator[str]:
    """The text's sentences, exactly as written (stripped), at most MAX_SENTENCES."""
    said = (match.group().strip() for match in rules.sentence.finditer(text))
    return islice((sentence for sentence in said if sentence), MAX_SENTENCES)


def _filled_markers(markers: tuple[str, ...], name: str) -> re.Pattern[str]:
    return any_of(
        marker.replace("{name}", name).replace("{pronoun}", pronoun).lower()
        for marker in markers
        for pronoun in ("his", "her", "their", "他", "她")
    )


@lru_cache(maxsize=256)
def _remembrance(
    anywhere: tuple[str, ...], before: tuple[str, ...], name: str
) -> tuple[re.Pattern[str], re.Pattern[str]]:
    """The lexicon's markers of remembering `name` ("{name}'s memory", "{pronoun} late
    {name}"), filled with every pronoun: those said anywhere and those said before an act,
    made once per name."""
    return _filled_markers(anywhere, name), _filled_markers(before, name)


class _Chapter:
    """Reads one text for a cast; collects facts in order."""

    def __init__(
        self, language: str, known: Known, present: Iterable[str] | None, about: str | None
    ) -> None:
        self.known = known
        self.looks = Reading(language, card=about is not None)
        # The characters the passage names so far; `about`: whom a text is about (a card's).
        self.people: dict[str, None] = dict.fromkeys([about] if about else [])
        # A cast past MAX_RULE_NAMES: compiled for the names the text has (issue 71: a cast's
        # thousands cost per position); a smaller one whole (compiled once for the novel).
        small = present is None or len(known.names) <= MAX_RULE_NAMES
        cast = list(known.names) if small else list(present or ())[:MAX_RULE_NAMES]
        self.rules = compiled(language, tuple(sorted(cast)))
        self.facts: list[dict[str, Any]] = []
        self.new: dict[str, None] = {}
        self.referents = Referents(self.rules, known.names, known.cards)
        self.words = dict(self.rules.number_words)
        self.changing = False  # the sentence before said a look changed
        self._threads: tuple[list[set[str]], dict[str, list[int]]] | None = None
        self.reported: list[int] = []  # where the deaths the sentence before said are

    def known_as(self, said: str) -> str | None:
        """The known character `said` names, as written or opening a sentence ("The Duchess")."""
        return self.known.names.get(said) or self.known.names.get(said[:1].lower() + said[1:])

    def who(self, said: str) -> str | None:
        name = self.known_as(said)
        if name is not None:
            return name
        first, _, rest = said.partition(" ")
        if said in self.rules.not_names or first in self.rules.not_names:
            return self.known.names.get(rest)  # "But Rowan was alive": Rowan
        if first.lower() in self.rules.titles and rest in self.known.names:
            return self.known.names[rest]  # a rank or title before a known name
        self.new.setdefault(said)
        return said

    def negated_at(self, sentence: str, start: int, end: int) -> bool:
        """A negation, a doubt or a condition just before start:end or inside it ("林舟差点
        死了", "they thought Ilya was dead")."""
        said = _QUOTED.split(sentence[max(start - _REACH, 0) : end].lower())[-1]
        return any(word in said for word in self.rules.negations)

    def doubted(self, sentence: str, match: re.Match[str]) -> bool:
        """A death not said as one: a negation, a doubt, a dream or a rumour before its phrase
        of dying, not inside it ("再也没有醒来" is a death); nor a death the character only sees
        or learns of."""
        start, end = max(match.start() - self.rules.negation_reach, 0), _said_end(match)
        said = _last_clause(sentence[start:end].lower())
        for phrase in self.rules.not_doubts:
            said = said.replace(phrase, " ")
        between = sentence[match.end("name") : end].lower() if end < match.end() else ""
        return any(word in said for word in self.rules.doubts) or any(
            word in between for word in self.rules.perceives
        )

    def otherwise(self, sentence: str, match: re.Match[str]) -> bool:
        """What follows the match makes it something else ("dead tired", "死去的母亲")."""
        after = sentence[match.end() : match.end() + 16].lower()
        return self.rules.not_after is not None and self.rules.not_after.match(after) is not None

    def remembers(self, sentence: str, name: str, end: int) -> bool:
        """A marker of remembering anywhere (a dream, a photograph) or one that frames what
        follows it before the act's `end` (a letter, a grave, a legend)."""
        lowered = sentence.lower()
        anywhere, before = _remembrance(self.rules.remembrance, self.rules.remembrance_before, name)
        return before.search(lowered, 0, end) is not None or anywhere.search(lowered) is not None

    def add(self, fact: dict[str, Any], sentence: str) -> None:
        if len(self.facts) < _MAX_FACTS:
            self.facts.append(fact | {"quote": sentence[:_MAX_QUOTE]})

    def read(self, sentence: str) -> None:
        """The facts of one sentence; a sentence opening on a pronoun ("His hair was blond",
        "她的眼睛是蓝色的") is read as about the one character the sentence before names."""
        said = self.referents.resolved(sentence)
        lowered = sentence.lower()
        if self.rules.disproofs.search(lowered):
            self._retract()
        start = len(self.facts)
        dead = self._statuses(said, sentence)
        self.reported = [at for at in range(start, len(self.facts)) if _dead(self.facts[at])]
        changing, self.changing = self.changing, any(w in lowered for w in self.rules.changes)
        self._traits(said, sentence, changing or self.changing)
        self._acts(said, dead, sentence)
        self._vows(sentence)
        self._payoffs(sentence)

    def _retract(self) -> None:
        """The deaths the sentence before said, taken back: this one says they were wrong
        ("The word was wrong: ...", "那不过是谣言")."""
        for at in reversed(self.reported):
            del self.facts[at]
        self.reported = []

    def _statuses(self, sentence: str, quote: str) -> set[str]:
        """The status facts of the sentence; the names it is about (their death or life)."""
        about: set[str] = set()
        lowered = sentence.lower()
        cues = self.rules.death_cues
        dying = cues is not None and cues.search(lowered) is not None
        for value, patterns in (
            ("alive", self.rules.alive),
            ("dead", self.rules.death if dying else ()),
            ("missing", self.rules.missing),
        ):
            for pattern in patterns:
                for match in pattern.finditer(sentence, lowered):
                    who = self.who(match.group("name"))
                    if who is None or who in about:
                        continue
                    if value != "alive" and (
                        self.doubted(sentence, match) or self.otherwise(sentence, match)
                    ):
                        continue
                    about.add(who)
                    self.add({"kind": "status", "who": who, "value": value}, quote)
        return about

    def _traits(self, sentence: str, quote: str, changing: bool = False) -> None:
        """The trait facts of the sentence; a hair or eye colour said where a look changes
        ("she dyed it", "染成了金色", this sentence or the one before) is marked `change`."""
        lowered = sentence.lower()
        said: set[tuple[str, str]] = set()
        for trait in self.rules.traits:
            for pattern in trait.patterns:
                for match in pattern.finditer(sentence, lowered):
                    fact = self._trait_fact(trait, match)
                    if fact is not None and (fact["who"], fact["attribute"]) not in said:
                        said.add((fact["who"], fact["attribute"]))
                        self._add_trait(fact, quote, changing)
        self._looks(sentence, quote, changing, said)

    def _add_trait(self, fact: dict[str, Any], quote: str, changing: bool) -> None:
        if changing and fact["attribute"] in _LOOKS:
            fact["change"] = True
        self.add(fact, quote)

    def _looks(self, sentence: str, quote: str, changing: bool, said: set[tuple[str, str]]) -> None:
        """The traits said by kind (text/looks.py), of the persons the sentence names or of
        the passage's only person."""
        people: list[tuple[int, int, str]] = []
        if self.rules.cast is not None:
            for match in self.rules.cast.finditer(sentence):
                who = self.known_as(match.group())
                if who is not None:
                    people.append((match.start(), match.end(), who))
        self.people.update(dict.fromkeys(who for _, _, who in people))
        sole = next(iter(self.people)) if len(self.people) == 1 else None
        for attribute, who, value, word, extra in self.looks.read(sentence, people, sole):
            if (who, attribute) not in said:
                said.add((who, attribute))
                fact = {"kind": "trait", "who": who, "attribute": attribute, "value": value}
                self._add_trait(fact | {"said": word} | extra, quote, changing)

    def _trait_fact(self, trait: Trait, match: re.Match[str]) -> dict[str, Any] | None:
        who = self.who(match.group("name"))
        said = match.group("value").lower()
        value: str | int | None = trait.canonical.get(said)
        if trait.attribute == "age":
            value = number(said, self.words)
        if who is None or value is None:
            return None
        attribute = trait.attribute
        if "other" in match.re.groupindex:
            other = self.known.names.get(match.group("other"))
            if other is None or other == who:
                return None
            attribute = f"relation:{other}"
        fact = {"kind": "trait", "who": who, "attribute": attribute, "value": value}
        # The writer's word, shown by the memory in the book's language (issue 78); an age is
        # a number whatever the language.
        return fact if trait.attribute == "age" else fact | {"said": match.group("value")}

    def _acts(self, sentence: str, about: set[str], quote: str) -> None:
        """The acts of the sentence (its pronouns named: text/acts.py), quoted as written."""
        acting: set[str] = set()
        for said, start, end in acts(sentence, self.rules):
            who = self.known_as(said)
            if who is None or who in about or who in acting:
                continue
            if self.remembers(sentence, who, end) or self.negated_at(sentence, start, end):
                continue
            acting.add(who)
            self.add({"kind": "act", "who": who}, quote)

    def _vows(self, sentence: str) -> None:
        lowered = sentence.lower()
        for pattern in self.rules.vows:
            for match in pattern.finditer(sentence, lowered):
                who = self.who(match.group("name"))
                if who is not None and not self.negated_at(sentence, match.start(), match.end()):
                    text = match.group("text").strip(" ,\uff0c")
                    self.add({"kind": "thread", "who": who, "text": text}, sentence)

    def _payoffs(self, sentence: str) -> None:
        said = sentence.lower()
        if not self.known.threads or not any(p.split("{")[0] in said for p in self.rules.payoffs):
            return
        wanted, index = self._thread_words()
        # Each word of the sentence counts for the threads that have it (issue 71: every
        # thread's words against every sentence cost 28 s for 500 threads, 4,000 sentences).
        hits = Counter(at for word in key_words(sentence, self.rules) for at in index.get(word, ()))
        for at in sorted(hits):
            if hits[at] >= 0.6 * len(wanted[at]):
                self.add({"kind": "payoff", "thread": self.known.threads[at][0]}, sentence)

    def _thread_words(self) -> tuple[list[set[str]], dict[str, list[int]]]:
        """The open threads' key words (by position), and which threads each word is in."""
        if self._threads is None:
            wanted = [key_words(text, self.rules) for _, text in self.known.threads]
            index: dict[str, list[int]] = {}
            for at, words in enumerate(wanted):
                for word in words:
                    index.setdefault(word, []).append(at)
            self._threads = (wanted, index)
        return self._threads


def _dead(fact: Mapping[str, Any]) -> bool:
    return fact["kind"] == "status" and fact["value"] == "dead"


def _last_clause(said: str) -> str:
    """What follows the last semicolon: a doubt of another clause doubts no death here."""
    return said[max(said.rfind(";"), said.rfind("\uff1b")) + 1 :]


def _said_end(match: re.Match[str]) -> int:
    """Where a negation may still stand: before the phrase of dying, not inside it."""
    if "pred" in match.re.groupindex and match.start("pred") >= 0:
        return match.start("pred")
    return match.end()


def key_words(text: str, rules: Rules) -> set[str]:
    """What a thread is about: its content words (English) or its two-character runs."""
    if rules.language == "zh":
        han = "".join(c for c in text if _HAN_WORD.match(c) and c not in rules.stop_words)
        return {han[i : i + 2] for i in range(len(han) - 1)}
    words = re.findall(r"[a-z']+", text.lower())
    return {w.rstrip("s") for w in words if len(w) > 2 and w not in rules.stop_words}


def read_chapter(
    language: str, text: str, known: Known, about: str | None = None
) -> dict[str, Any]:
    """The facts of one chapter's text (module docstring); `about`: whom the text is about
    when it names no one (a bible card's description)."""
    present = names_in(text, known.names)
    chapter = _Chapter(language, known, present, about)
    for sentence in sentences(text, chapter.rules):
        chapter.read(sentence)
    said = [name for name in known.names if name in present]
    seen = list(dict.fromkeys(known.names[name] for name in said))
    return {
        "seen": seen + [name for name in chapter.new if name not in seen],
        "new": list(chapter.new),
        "places": [place for place in known.places if place and place in text],
        "facts": chapter.facts,
    }
