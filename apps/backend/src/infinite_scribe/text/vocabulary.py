"""Words kept as data, one file per language, loaded once through `importlib.resources`.

The code holds the rules; the files hold the vocabularies: the readers' lexicon is this
package's `data/<language>.json` (`Lexicon`), the offline writer's sentence patterns (`genesis`,
`chapters`, `tone_moods`) its own package's, read through the same loader (`package=`). A
section is validated against the dataclass that holds it (pydantic: every field present, none
unknown, each of its type and arity), so a bad edit fails at import and in the unit tests, not
in a writer's draft.
"""

import json
import operator
import re
from collections.abc import Iterable
from functools import cache, reduce
from importlib import resources
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

#: The package whose `data/` holds the readers' words (this one).
READERS = __package__ or "infinite_scribe.text"

LANGUAGES = ("en", "zh")
_T = TypeVar("_T")


@cache
def document(language: str, package: str = READERS) -> dict[str, Any]:
    """One language's file of `package`'s `data/`, parsed once per process."""
    text = resources.files(package).joinpath("data", f"{language}.json").read_text("utf-8")
    loaded: dict[str, Any] = json.loads(text)
    return loaded


class Lexicon(BaseModel):
    """One language's readers' words (`data/<language>.json`), validated at load: a list of
    the wrong shape or an unknown section fails at import and in the unit tests."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    about: dict[str, str] = Field(alias="_about")
    #: A space-separated word list (str) or an ordered list of phrases.
    reading: dict[str, str | list[str]]
    #: The continuity reader's rules (text/rules.py compiles them).
    continuity: dict[str, Any]
    #: word -> jieba's part of speech, given to jieba at load (text/segment.py).
    tagged: dict[str, str]
    #: The parts a run of characters is cut into, given to jieba at load.
    splits: list[list[str]]


@cache
def lexicon(language: str) -> Lexicon:
    """The readers' words of one language, validated once per process."""
    return Lexicon.model_validate(document(language))


def load(holder: type[_T], language: str, section: str, package: str = READERS) -> _T:
    """The section as an instance of `holder`, a frozen dataclass whose `__pydantic_config__`
    forbids unknown keys (lists become its tuples; a wrong arity or type is an error)."""
    return validate(holder, document(language, package)[section])


def validate(holder: type[_T], raw: object) -> _T:
    """`raw` as an instance of `holder`, or pydantic's ValidationError naming what is wrong."""
    return TypeAdapter(holder).validate_python(raw)


def words(language: str, *names: str) -> frozenset[str]:
    """The word lists `names` of the `reading` section (each one space-separated string), as
    one set (`longest_first` gives them an order)."""
    found = [frozenset(_reading(language, name, str).split()) for name in names]
    return reduce(operator.or_, found)


def longest_first(words: Iterable[str]) -> list[str]:
    """`words` longest first, and alphabetically within a length: a set's own order follows the
    process's hash seed, and a reader that takes the first word found in a text would then read
    one text two ways in two processes (two harm verbs of one length in a clause)."""
    return sorted(words, key=lambda word: (-len(word), word))


def characters(language: str, name: str) -> tuple[str, ...]:
    """A list of single characters of the `reading` section (Chinese endings, surnames)."""
    return tuple(_reading(language, name, str))


def phrases(language: str, name: str) -> tuple[str, ...]:
    """An ordered list of the `reading` section (the first that matches wins)."""
    return tuple(_reading(language, name, list))


def numbers(language: str, name: str) -> dict[str, int]:
    """An ordered list of the `reading` section whose n-th entry spells n (space-separated)."""
    return {word: n for n, said in enumerate(phrases(language, name), 1) for word in said.split()}


def alternation(language: str, name: str, spaced: bool = False) -> str:
    """A list of the `reading` section as a regular expression's alternation, in its order (a
    string list: the longest first, so "元宵节" is tried before "元宵"), each word escaped;
    `spaced`: a space matches any run of white space."""
    value: Any = lexicon(language).reading[name]
    ordered = value if isinstance(value, list) else sorted(value.split(), key=len, reverse=True)
    escaped = (re.escape(word) for word in ordered)
    return "|".join(word.replace(r"\ ", r"\s+") if spaced else word for word in escaped)


def either(language: str, name: str, spaced: bool = False) -> str:
    """`alternation` as one group of alternatives ("(?:a|b)")."""
    return f"(?:{alternation(language, name, spaced)})"


def _reading(language: str, name: str, kind: type) -> Any:
    value: Any = lexicon(language).reading[name]
    words_only = kind is str or all(isinstance(item, str) for item in value)
    if not isinstance(value, kind) or not words_only:
        raise TypeError(f"{language}.json reading.{name}: expected {kind.__name__} of words")
    return value
