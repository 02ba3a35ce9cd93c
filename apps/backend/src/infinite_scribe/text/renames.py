# ruff: noqa: RUF001 - Chinese text uses full-width punctuation on purpose
"""A feedback that renames a person by the name they have ("Rename Declan Furey to Cathal
Breen", "Call Declan Furey Cathal Breen instead", "Declan Furey should be called Cathal
Breen", 把陈默改名为林舟, 陈默改叫林舟, 把陈默的名字改成林舟), read by its kind: a rename
frame, a run of name and a run of name, whatever the words.

The frames are data (`reading.rename_frames`, written as the lexicon's `_about.reading` says).
What is read is every (old, new) the clause may mean, the longest old first ("Call Declan Furey
Cathal Breen": where one name ends is the codex's to say, `codex_reading.offered_edits`); the
reader knows no codex, so it renames no one.

Each run is bounded (four English words, twelve Chinese characters) and an English one opens
a word, so a clause of n characters is read in O(n) per frame (a clause is read from its
first `requests.MAX_CLAUSE` characters).
"""

import re
from functools import cache

from infinite_scribe.text import requests, vocabulary

_EN_WORD = r"[A-ZÀ-ÖØ-Þ](?:[\w-]|['’](?!s\b))*"  # "O'Neill", not "Furey's"
_EN_RUN = rf"(?<![\w'’])(?:[Tt]he\s+)?{_EN_WORD}(?:\s+{_EN_WORD}){{0,3}}"
#: Two names side by side ("Call Declan Furey Cathal Breen"), cut where the codex says.
_EN_PAIR = rf"(?<![\w'’])(?:[Tt]he\s+)?{_EN_WORD}(?:\s+(?:the\s+)?{_EN_WORD}){{1,6}}"
_ZH_STOPS = r"\s，,。；;！!？?、：:“”\"「」"
_RUNS = {
    "en": {"old": _EN_RUN, "new": _EN_RUN, "pair": _EN_PAIR},
    "zh": {"old": f"[^{_ZH_STOPS}]{{1,12}}?", "new": f"[^{_ZH_STOPS}]{{1,20}}"},
}
_PLACE = re.compile(r"\{(\w+)(\?)?\}( ?)")
#: A frame's words match in any case ("Rename", "rename"); a name's case is its own.
_CASELESS = {"en": "(?i:", "zh": "(?:"}


@cache
def _frames(language: str) -> tuple[re.Pattern[str], ...]:
    return tuple(_compiled(f, language) for f in vocabulary.phrases(language, "rename_frames"))


def _compiled(frame: str, language: str) -> re.Pattern[str]:
    """A frame as a regular expression: its names as groups, its lists as alternations."""
    frame = frame.replace("{old} {new}", "{pair}")
    parts, at = [], 0
    for place in _PLACE.finditer(frame):
        parts.append(_literal(frame[at : place.start()], language))
        name, optional, space = place.groups()
        spaced = r"\s+" if space else ""
        if name in _RUNS[language]:
            parts.append(f"(?P<{name}>{_RUNS[language][name]}){spaced}")
        else:
            words = f"{_CASELESS[language]}{vocabulary.alternation(language, name, True)}){spaced}"
            parts.append(f"(?:{words})?" if optional else words)
        at = place.end()
    parts.append(_literal(frame[at:], language))
    return re.compile("".join(parts))


def _literal(text: str, language: str) -> str:
    opening = "^" if text.startswith("^") else ""
    said = re.escape(text.removeprefix("^")).replace("'", "['’]").replace(r"\ ", r"\s+")
    return f"{opening}{_CASELESS[language]}{said})" if said else opening


def read_renames(clause: str, language: str) -> tuple[tuple[str, str], ...]:
    """Every (old name, new name) `clause` may ask, in the order to try them, by the first
    frame that reads one; () when it renames no one by name."""
    clause = clause[: requests.MAX_CLAUSE]
    for frame in _frames(language):
        match = frame.search(clause)
        found = _pairs(match, language) if match else ()
        if found:
            return found
    return ()


def _pairs(match: re.Match[str], language: str) -> tuple[tuple[str, str], ...]:
    groups = match.groupdict()
    if groups.get("pair"):
        words = groups["pair"].split()
        cuts = [(" ".join(words[:n]), " ".join(words[n:])) for n in range(len(words) - 1, 0, -1)]
        cuts = [(old, new) for old, new in cuts if old.split()[-1] not in ("the", "The")]
        return (*cuts, *(("the" + old[3:], new) for old, new in cuts if old.startswith("The ")))
    new = groups["new"] if language == "en" else requests.value_of(groups["new"], language, True)
    if not new or (language == "zh" and "的" in new):  # 改名为一个好听的名字: no name
        return ()
    return tuple((old, new) for old in _olds(groups["old"], language))


def _olds(run: str, language: str) -> list[str]:
    """The names the run before the verb may be, the longest first: what opens a clause
    ("Maybe Declan Furey", 我想把陈默) is in the run."""
    if language == "zh":
        return [run[start:] for start in range(len(run))]
    words = run.split()
    olds = [" ".join(words[start:]) for start in range(len(words))]
    # An English clause's "The Harbourmaster" is also the codex's "the Harbourmaster".
    return olds + ["the" + old[3:] for old in olds if old.startswith("The ")]
