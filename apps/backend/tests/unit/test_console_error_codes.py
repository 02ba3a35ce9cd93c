"""Every error code the service has is explained to the writer in both languages (issue 55:
error details translated): a new error class without its words fails here."""

import importlib
import pkgutil
from collections.abc import Iterator

import infinite_scribe
from infinite_scribe.api.console.error_texts import EXPLANATIONS, error_text
from infinite_scribe.domain.errors import ScribeError


def _classes(base: type[ScribeError]) -> Iterator[type[ScribeError]]:
    for sub in base.__subclasses__():
        yield sub
        yield from _classes(sub)


def _every_error() -> list[type[ScribeError]]:
    for module in pkgutil.walk_packages(infinite_scribe.__path__, "infinite_scribe."):
        if ".migrations" not in module.name and not module.name.endswith("__main__"):
            importlib.import_module(module.name)
    return list(_classes(ScribeError))


def test_every_error_code_is_explained_in_both_languages() -> None:
    codes = {error.error_code for error in _every_error()}
    assert len(codes) > 30
    assert sorted(codes - set(EXPLANATIONS)) == []
    for code in codes:
        english, chinese = error_text(409, code, "en"), error_text(409, code, "zh")
        assert english.explanation != chinese.explanation, code
