"""A downloaded file named after the book (issue 55): `Content-Disposition` with the title in
`filename*` (RFC 6266 and RFC 8187: UTF-8, percent-encoded, so 雾港.md arrives as 雾港.md) and
an ASCII `filename` fallback for clients that read only that one."""

import re
from urllib.parse import quote
from uuid import UUID

#: Characters no file system takes in a name, and control characters.
_UNSAFE = re.compile(r'[\\/:*?"<>|\x00-\x1f\x7f]')
_MAX_TITLE = 100


def attachment(title: str | None, novel_id: UUID, extension: str) -> str:
    """The header's value for the novel's file in `extension` ("md", "epub", "json")."""
    fallback = f'attachment; filename="novel-{novel_id}.{extension}"'
    name = _UNSAFE.sub("_", (title or "").strip())[:_MAX_TITLE].strip(" .")
    if not name:
        return fallback
    return f"{fallback}; filename*=UTF-8''{quote(f'{name}.{extension}', safe='')}"
