"""docs/architecture.md describes the house as it is: every module or folder it names exists."""

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
        folder = name.rstrip("/")
        roots = (PACKAGE, ROOT / "apps/backend/tests", ROOT)
        return any(p.is_dir() for base in roots for p in [base / folder, *base.rglob(folder)])
    return any(PACKAGE.rglob(name))


def test_every_module_the_architecture_names_exists() -> None:
    names = sorted(set(NAMED.findall(DOC.read_text())))
    assert len(names) > 30, "the pattern no longer finds the doc's module names"
    missing = [name for name in names if not exists(name)]
    assert missing == [], f"docs/architecture.md names modules that do not exist: {missing}"


def test_the_check_catches_a_missing_module() -> None:
    assert exists("relay/service.py") and exists("notifier.py") and exists("runtime/")
    assert not exists("agent_events_v2.py") and not exists("relay/claims.py")
