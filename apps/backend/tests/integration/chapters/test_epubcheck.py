"""The EPUB of a novel with chapters, hostile ones too, is a book epubcheck takes (issue 39;
the exports' own checks are tests/unit/test_chapter_exports.py). Java starts for each book: it
belongs to this tier, not the unit tier's."""

import asyncio
import subprocess
from pathlib import Path

import pytest

from infinite_scribe.api.novel_epub import novel_epub
from infinite_scribe.application.ports.reads import NovelView
from tests.support.chapters import genesis_bible
from tests.support.exports import CHAPTERS, epubcheck, hostile_book, view


@pytest.fixture(scope="module")
def novel() -> NovelView:
    return view(asyncio.run(genesis_bible("zh")))


@pytest.mark.slow
@pytest.mark.skipif(epubcheck() is None, reason="epubcheck is not installed (apt epubcheck)")
@pytest.mark.parametrize("hostile", [False, True])
def test_epubcheck_takes_the_book_with_chapters(
    novel: NovelView, tmp_path: Path, hostile: bool
) -> None:
    path = tmp_path / "novel.epub"
    path.write_bytes(hostile_book(novel) if hostile else novel_epub(novel, CHAPTERS))
    checker = epubcheck()
    assert checker is not None
    result = subprocess.run([*checker, str(path)], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
