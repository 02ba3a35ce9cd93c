"""A prompt's own words said back (issue 76): what a generator returns must not repeat the
headings and labels of the prompts it is asked with, as a line of its own (SmolLM2 opened
chapters with "This beat:"), nor a run of their instructions anywhere ("give the prose alone:
no title, no notes, no code"). The words are the prompts' own (`agents/llm/prompts.py` hands
their text to `echoes_of`): one rule by kind, no phrase written here."""

import re
from collections.abc import Iterable
from dataclasses import dataclass

#: A run of an instruction this long is never a novel's own words.
_PHRASE_WORDS = 6
#: A heading or a label of fewer words says too little to be the prompt's ("Characters:").
_LINE_WORDS = 2
_SLOT = re.compile(r"\$\{\w+\}|```\w*|`[^`]*`")
_MARK = re.compile(r"^\s*(?:#+|[-*>]|\d+[.)])\s*")
_PARAGRAPH = re.compile(r"\n\s*\n")
#: A sentence's end, or where a slot was: the runs a model may say back one at a time.
_SENTENCE = re.compile(r"(?<=[.!?])\s+|\n")
_ENDS = " \t:\uff1a.,;()*#\"'"  # a full-width colon too


def _folded(text: str) -> str:
    return " ".join(text.lower().split()).strip(_ENDS)


@dataclass(frozen=True)
class Echoes:
    """The prompts' headings and labels (`lines`) and their instructions' runs (`phrases`)."""

    lines: frozenset[str] = frozenset()
    phrases: tuple[str, ...] = ()

    def said_in(self, text: str) -> str | None:
        """The first of the prompts' words `text` says back, or None."""
        if self.lines:
            for line in text.splitlines():
                if (said := _folded(_MARK.sub("", line))) in self.lines:
                    return said
        if self.phrases:
            flat = " ".join(text.lower().split())
            return next((phrase for phrase in self.phrases if phrase in flat), None)
        return None


#: The prompts' words by their form, as a model echoes them: "### Chapter 2: beat 3 of 11",
#: "200 to 300 words", "Reply with ...". Each pattern is run only on a text holding its
#: trigger (lowercased): a chapter of 3,000 words is read in well under 5 ms (bench/guard.py).
_FORMS = tuple(
    (trigger, re.compile(pattern))
    for trigger, pattern in (
        ("#", r"(?m)^\s*#{1,6}\s"),
        ("beat ", r"\bbeat \d+ of \d+\b"),
        (" words", r"\b\d+ to \d+ words\b"),
        (" characters", r"\b\d+ to \d+ characters\b"),
        ("字", r"\d+\s*(?:到|至)\s*\d+\s*(?:个)?字"),
        ("reply with", r"\breply with\b"),
        ("json", r"\bjson\b"),
        ("outline entry", r"\boutline entry\b"),
        ("writer", r"\bthe writer'?s (?:wishes|feedback|idea)\b"),
        ("response schema", r"\bresponse schema\b"),
        ("拍", r"第\s*\d+\s*拍"),
    )
)


def echo_in(text: str, echoes: Echoes) -> str | None:
    """What of the prompts `text` says back: a marker of their form or their own words."""
    lower = text.lower()
    for trigger, pattern in _FORMS:
        if trigger in lower and (found := pattern.search(lower)):
            return found.group().strip()
    return echoes.said_in(text)


def echoes_of(templates: Iterable[str]) -> Echoes:
    """The echoes of prompt templates (`${slot}`s and code spans are not their words): each
    heading or label line, and each sentence's runs of their instructions' paragraphs."""
    lines: set[str] = set()
    phrases: set[str] = set()
    for template in templates:
        for line in template.splitlines():
            runs = [_folded(run) for run in _SLOT.split(_MARK.sub("", line))]
            heading = line.lstrip().startswith("#") or line.rstrip().endswith(":")
            if heading and len(runs) == 1 and len(runs[0].split()) >= _LINE_WORDS:
                lines.add(runs[0])
        for paragraph in _PARAGRAPH.split(template):
            joined = " ".join(_MARK.sub("", line) for line in paragraph.splitlines())
            for run in _SENTENCE.split(_SLOT.sub("\n", joined)):
                if len(folded := _folded(run).split()) >= _PHRASE_WORDS:
                    phrases.add(" ".join(folded))
    return Echoes(frozenset(lines), tuple(sorted(phrases)))


#: No prompt: nothing to say back.
NO_ECHOES = Echoes()
