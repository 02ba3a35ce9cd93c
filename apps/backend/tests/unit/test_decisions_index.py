"""docs/decisions/README.md indexes every decision record, and links only to records that exist."""

import re

from tests.support.paths import REPO

DECISIONS = REPO / "docs/decisions"
LINK = re.compile(r"\]\(([^)#]+\.md)\)")


def test_every_record_is_in_the_index() -> None:
    linked = set(LINK.findall((DECISIONS / "README.md").read_text(encoding="utf-8")))
    records = {path.name for path in DECISIONS.glob("*.md") if path.name != "README.md"}
    assert len(records) > 60, "the records are no longer where the test looks"
    assert sorted(records - linked) == [], "add these records to docs/decisions/README.md"
    assert sorted(linked - records) == [], "the index links to records that do not exist"
