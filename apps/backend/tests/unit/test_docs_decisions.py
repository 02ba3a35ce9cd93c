"""docs/decisions/README.md is the index of the records (issue 52): every record is listed, and
its status table names exactly the supersessions the records state themselves."""

import re

from tests.support.paths import REPO

FOLDER = REPO / "docs/decisions"
INDEX = FOLDER / "README.md"
#: "superseded by decision 2500", "Superseded in part by [3200](...)", "superseded by 3500:".
STATED = re.compile(r"[Ss]uperseded(?: in part)? by (?:decision )?\[?(\d{4})\b")
ROW = re.compile(r"^\| (\d{4}) \| (\d{4}) \|", re.MULTILINE)


def _records() -> dict[str, str]:
    return {path.name[:4]: path.read_text() for path in FOLDER.glob("[0-9][0-9][0-9][0-9]-*.md")}


def test_every_record_is_listed_in_the_index() -> None:
    index = INDEX.read_text()
    records = sorted(FOLDER.glob("[0-9][0-9][0-9][0-9]-*.md"))
    assert len(records) > 50
    assert [path.name for path in records if f"({path.name})" not in index] == []


def test_the_status_table_names_what_the_records_say_superseded_them() -> None:
    records = _records()
    stated = {(number, by) for number, text in records.items() for by in STATED.findall(text)}
    table = set(ROW.findall(INDEX.read_text()))
    assert len(stated) >= 10, "the pattern no longer finds the records' own statements"
    assert table == stated
    assert {by for _, by in table} <= set(records), "a record is superseded by one that is missing"
