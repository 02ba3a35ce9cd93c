"""docs/architecture.md describes the house as it is: every module or folder it names exists;
and so do the modules the code's own docstrings name (a move that leaves one behind fails here)."""

import functools
import importlib.util
import re

from tests.support.paths import REPO

ROOT = REPO
PACKAGE = ROOT / "apps/backend/src/infinite_scribe"
DOC = ROOT / "docs/architecture.md"
#: `cli/`, `persistence/relay/store.py`, `worker.py`: code spans that name a file or a folder.
NAMED = re.compile(r"`([A-Za-z0-9_./-]+(?:\.py|/))`")


def exists(name: str) -> bool:
    """A path with a folder is read from the package, the tests or the repository root; a bare
    file name must be a module somewhere in the package."""
    if "/" in name.rstrip("/"):
        bases = (PACKAGE, ROOT / "apps/backend", ROOT / "apps/backend/tests", ROOT)
        return any((base / name).exists() for base in bases)
    if name.endswith("/"):
        return name.rstrip("/") in folders()
    return name in package_files()


@functools.cache
def folders() -> frozenset[str]:
    """The folders of the package and the tests, and of the repository two levels deep."""
    trees = [*PACKAGE.rglob("*"), *(ROOT / "apps/backend/tests").rglob("*"), *ROOT.glob("*/*")]
    return frozenset(path.name for path in [*trees, *ROOT.glob("*")] if path.is_dir())


@functools.cache
def package_files() -> frozenset[str]:
    """The names of the package's files (a bare name is looked for among them)."""
    return frozenset(path.name for path in PACKAGE.rglob("*"))


def test_every_module_the_architecture_names_exists() -> None:
    names = sorted(set(NAMED.findall(DOC.read_text())))
    assert len(names) > 30, "the pattern no longer finds the doc's module names"
    missing = [name for name in names if not exists(name)]
    assert missing == [], f"docs/architecture.md names modules that do not exist: {missing}"


def test_the_check_catches_a_missing_module() -> None:
    assert exists("relay/service.py") and exists("notifier.py") and exists("runtime/")
    assert not exists("agent_events_v2.py") and not exists("relay/claims.py")


#: `persistence/writes/parts.py`, `writes/parts.py`: a module named by a path in a docstring.
IN_DOCSTRING = re.compile(r"(?<![\w./-])((?:[A-Za-z0-9_-]+/)+[A-Za-z0-9_]+\.py)\b")


#: A docstring: the triple-quoted strings of a module (its comments say no paths we check).
DOCSTRING = re.compile(r'"""(.*?)"""', re.DOTALL)


def docstring_names() -> dict[str, str]:
    """Each module path a docstring of the package names, with the first module naming it
    (the migrations are history: they name the modules of their day)."""
    named: dict[str, str] = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        if "migrations" in path.parts:
            continue
        for text in DOCSTRING.findall(path.read_text(encoding="utf-8")):
            for name in IN_DOCSTRING.findall(text):
                named.setdefault(name, str(path.relative_to(PACKAGE)))
    return named


def resolves(name: str, modules: list[str]) -> bool:
    """From the repository's roots, as the tail of a module's path (`writes/parts.py` inside
    persistence), or as an installed library's module (`fastapi/routing.py`)."""
    if exists(name) or any(module.endswith("/" + name) for module in modules):
        return True
    try:
        return importlib.util.find_spec(name.removesuffix(".py").replace("/", ".")) is not None
    except (ImportError, ValueError):
        return False


def test_every_module_a_docstring_names_exists() -> None:
    modules = [path.as_posix() for path in PACKAGE.rglob("*.py")]
    named = docstring_names()
    assert len(named) > 50, "the pattern no longer finds the docstrings' module names"
    missing = {name: where for name, where in named.items() if not resolves(name, modules)}
    assert missing == {}, f"docstrings name modules that do not exist: {missing}"


def test_the_docstring_check_catches_a_moved_module() -> None:
    modules = [path.as_posix() for path in PACKAGE.rglob("*.py")]
    assert resolves("writes/parts.py", modules) and resolves("fastapi/routing.py", modules)
    assert not resolves("persistence/writes/claims.py", modules)
    assert not resolves("nowhere/parts.py", modules)
