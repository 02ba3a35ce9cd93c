# ruff: noqa: RUF001 - Chinese text uses full-width punctuation on purpose
"""A novel to export and the chapters of its book (the exports' unit tests and the epubcheck
check of the integration tier)."""

import shutil
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from uuid import UUID

from infinite_scribe.api.novel_epub import novel_epub
from infinite_scribe.application.ports.reads import NovelView
from infinite_scribe.domain.novel import NovelBible

HOSTILE = "Form\x0cfeed \x01 & <b>tags</b> ![pixel](http://evil.example/t.png) ]]> \ufffe"


def view(bible: NovelBible) -> NovelView:
    now = datetime(2026, 11, 23, tzinfo=UTC)
    return NovelView(
        novel_id=UUID(int=39),
        title=bible.title,
        logline=bible.logline,
        theme=bible.theme,
        writing_style=bible.writing_style,
        status="GENESIS",
        target_chapters=bible.target_chapters,
        completed_chapters=0,
        version=1,
        created_at=now,
        updated_at=now,
        genesis_session_id=None,
        story=bible.story,
        worldview=bible.worldview,
        characters=bible.characters,
        outline=bible.outline,
    )


#: Given out of order, with a draft and a planned chapter that are not exported.
CHAPTERS: list[dict[str, Any]] = [
    {
        "number": 3,
        "title": "第3章",
        "text": "陈默劝顾南收手。\n顾南没有答应。",
        "status": "CONFIRMED",
    },
    {"number": 2, "title": "第2章", "text": "草稿：还没写完。", "status": "DRAFTED"},
    {
        "number": 1,
        "title": "第1章",
        "text": "顾南发现记录被篡改。\n\n她对谁都没说。",
        "status": "CONFIRMED",
    },
    {"number": 4, "title": "第4章", "text": "", "status": "PLANNED"},
]


def hostile_book(novel: NovelView) -> bytes:
    chapters = [{"number": 1, "title": HOSTILE, "text": HOSTILE, "status": "CONFIRMED"}]
    return novel_epub(novel, chapters)


def epubcheck() -> list[str] | None:
    """The command that runs epubcheck here, None where it is not installed."""
    jar = Path("/usr/bin/epubcheck")
    if shutil.which("java") and jar.exists() and jar.read_bytes()[:2] == b"PK":
        return ["java", "-jar", str(jar)]  # Debian's is the jar itself
    found = shutil.which("epubcheck")
    return [found] if found else None


def dying_build(*_args: object) -> bool:
    """A build whose process dies as the OOM killer would leave it (run in the build's process)."""
    import os

    os._exit(9)
