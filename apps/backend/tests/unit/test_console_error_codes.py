"""Every error code the service has is explained to the writer in both languages (issue 55:
error details translated): a new error class without its words fails here."""

import importlib
import pkgutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from pydantic import ValidationError

import infinite_scribe
from infinite_scribe.api.console.error_texts import error_text
from infinite_scribe.api.words import WORDS, ConsoleWords
from infinite_scribe.domain.errors import ScribeError


def _classes(base: type[ScribeError]) -> Iterator[type[ScribeError]]:
    for sub in base.__subclasses__():
        yield sub
        yield from _classes(sub)


def _every_error() -> list[type[ScribeError]]:
    # Only the modules that name an `error_code`: a code is a literal in the module of the
    # class that sets it (a subclass without one answers its parent's), so importing those
    # finds every code without importing the whole package (the CLI, Alembic: about 0.5 s).
    root = Path(infinite_scribe.__file__).parent
    for module in pkgutil.walk_packages(infinite_scribe.__path__, "infinite_scribe."):
        path = root.joinpath(*module.name.split(".")[1:])
        source = path / "__init__.py" if module.ispkg else path.with_suffix(".py")
        if "error_code" in source.read_text(encoding="utf-8"):
            importlib.import_module(module.name)
    return list(_classes(ScribeError))


def test_every_error_code_is_explained_in_both_languages() -> None:
    codes = {error.error_code for error in _every_error()}
    assert len(codes) > 30
    assert sorted(codes - set(WORDS.error_explanations)) == []
    for code in codes:
        english, chinese = error_text(409, code, "en"), error_text(409, code, "zh")
        assert english.explanation != chinese.explanation, code


def test_the_console_words_file_is_validated_when_it_loads() -> None:
    """A bad edit of `data/words.json` fails at load: a pair without its Chinese, an unknown
    section, a section left out."""
    good = WORDS.model_dump(by_alias=True)
    assert ConsoleWords.model_validate(good) == WORDS
    for bad in (
        {**good, "statuses": {**good["statuses"], "PAUSED": ["Paused"]}},
        {**good, "error_headlins": {}},
        {key: value for key, value in good.items() if key != "failure_reasons"},
    ):
        with pytest.raises(ValidationError):
            ConsoleWords.model_validate(bad)
