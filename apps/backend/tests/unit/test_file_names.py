"""A download is named after the book (issue 55): the title in `filename*` (RFC 8187), an
ASCII fallback, and a hostile title can neither break the header nor name a path."""

from urllib.parse import unquote
from uuid import UUID

import pytest

from infinite_scribe.api.file_names import attachment

NOVEL = UUID(int=55)


def _title_part(header: str) -> str:
    return unquote(header.split("filename*=UTF-8''", 1)[1])


def test_a_chinese_title_names_the_file() -> None:
    header = attachment("雾港", NOVEL, "md")
    assert header.startswith(f'attachment; filename="novel-{NOVEL}.md"')
    assert _title_part(header) == "雾港.md"


@pytest.mark.parametrize(
    "title",
    ['a"b', "../../etc/passwd", "line\r\nSet-Cookie: x=1", "\\\\server\\share", "x" * 5000],
)
def test_a_hostile_title_is_a_plain_name(title: str) -> None:
    header = attachment(title, NOVEL, "epub")
    assert "\r" not in header and "\n" not in header and header.isascii()
    name = _title_part(header)
    assert "/" not in name and "\\" not in name and '"' not in name
    assert len(name) <= 105 and name.endswith(".epub")


@pytest.mark.parametrize("title", [None, "", "   ", "..."])
def test_no_title_keeps_the_ids_name(title: str | None) -> None:
    assert attachment(title, NOVEL, "json") == f'attachment; filename="novel-{NOVEL}.json"'
