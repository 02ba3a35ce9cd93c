"""command_inbox, async_tasks and genesis_sessions have no `updated_at` trigger since migration
0037 (issue 80: a BEFORE UPDATE row trigger locks every row before its update, one more WAL
record each): every statement that updates them sets `updated_at` itself. The re-drive sweeper
finds stale tasks by it and the reads order sessions by it, so an update that forgets it is a
bug this finds in the source."""

import re
from pathlib import Path

import infinite_scribe.persistence as persistence

ROOT = Path(persistence.__file__).parent
TABLES = ("command_inbox", "async_tasks", "genesis_sessions")
#: Updates that must leave `updated_at` alone: the archive's flag is not a change of the book
#: (migration 0033's trigger skipped it too).
LEAVES_IT = {("archive/store.py", "genesis_sessions")}

_UPDATE = re.compile(rf"UPDATE\s+(?P<table>{'|'.join(TABLES)})\b(?P<rest>.{{0,700}})", re.S)
_UPSERT = re.compile(
    rf"INSERT INTO\s+(?P<table>{'|'.join(TABLES)})\b.{{0,700}}?DO UPDATE SET(?P<rest>.{{0,700}})",
    re.S,
)
#: Where an UPDATE's SET list ends.
_SET_END = re.compile(r"\bWHERE\b|\bFROM\b|\bRETURNING\b|\"\"\"")


def _updates() -> list[tuple[str, str, str]]:
    found = []
    for path in ROOT.rglob("*.py"):
        relative = path.relative_to(ROOT).as_posix()
        if relative.startswith("migrations/"):
            continue
        text = path.read_text()
        for match in [*_UPDATE.finditer(text), *_UPSERT.finditer(text)]:
            rest = match["rest"]
            end = _SET_END.search(rest)
            found.append((relative, match["table"], rest[: end.start()] if end else rest))
    return found


def test_every_update_of_the_untriggered_tables_sets_updated_at() -> None:
    updates = _updates()
    assert len(updates) >= 10  # the scan finds them (a broken pattern would pass on none)
    missing = [
        (path, table, set_list.strip()[:80])
        for path, table, set_list in updates
        if "updated_at" not in set_list and (path, table) not in LEAVES_IT
    ]
    assert not missing


def test_the_scan_sees_a_forgotten_updated_at() -> None:
    text = "UPDATE async_tasks SET status = 'RUNNING' WHERE id = $1"
    match = _UPDATE.search(text)
    assert match is not None
    end = _SET_END.search(match["rest"])
    assert end is not None and "updated_at" not in match["rest"][: end.start()]
