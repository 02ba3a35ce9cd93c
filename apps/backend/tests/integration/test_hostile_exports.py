"""Issue 41, E1 and E2, on the real server process (`scribe api`): a big bible's export renders
off the loop (the process keeps answering) and is bounded per writer; a stage over
STAGE_MAX_BYTES is refused; a hostile title and text still make an EPUB readers take, with no
remote resource in it."""

import asyncio
import io
import subprocess
import uuid
import zipfile
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import httpx
import pytest

from infinite_scribe.domain.confirmation import STAGE_MAX_BYTES
from infinite_scribe.settings.settings import Settings
from tests.conftest import make_token
from tests.support.exports import epubcheck
from tests.support.genesis_client import command, new_session, state
from tests.support.hostile_server import ApiProcess, api_process

pytestmark = pytest.mark.slow

NOVELS = "/api/v1/novels"
EPUB = {"Accept": "application/epub+zip"}
STAGES = ("CONCEPT_SELECTION", "STORY_CONCEPTION", "WORLDVIEW", "CHARACTERS", "PLOT_OUTLINE")
HOSTILE = (
    "Form\x0cfeed \x01\x1f\ufffe\uffff & <b>tags</b> ![pixel](http://evil.example/t.png) "
    "![x](//evil.example/x.png) ![y](https://evil.example/y) <img src=http://evil.example/z>"
)


@pytest.fixture(scope="module")
def server(settings: Settings) -> Iterator[ApiProcess]:
    # A long deadline: the big export must finish with its 200, however loaded the machine.
    with api_process(settings, API_REQUEST_TIMEOUT_SECONDS="600") as running:
        yield running


@pytest.fixture
async def writer(server: ApiProcess, settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    headers = {"Authorization": f"Bearer {make_token(settings, uuid.uuid4())}"}
    async with httpx.AsyncClient(base_url=server.url, headers=headers, timeout=600) as client:
        yield client


async def _novel(http: httpx.AsyncClient, stages: dict[str, dict[str, Any]]) -> str:
    session_id = await new_session(http)
    for stage in STAGES:
        data = stages.get(stage, {"note": stage})
        reply = await command(http, session_id, "ConfirmStage", {"stage": stage, "data": data})
        assert reply.status_code == 200, reply.text[:300]
    novel_id = (await state(http, session_id))["novel_id"]
    assert novel_id is not None
    return str(novel_id)


def _xml_files(book: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(book)) as archive:
        return {
            name: archive.read(name)
            for name in archive.namelist()
            if name.endswith((".xml", ".opf", ".xhtml"))
        }


async def test_a_big_export_runs_while_the_process_answers(writer: httpx.AsyncClient) -> None:
    # Emphasis markers are markdown-it's slowest input: seconds of CPU per stage. The export
    # used to run on the event loop, so nothing else was answered until it ended.
    big = {"text": "*a " * (STAGE_MAX_BYTES // 4)}
    novel_id = await _novel(writer, {stage: big for stage in STAGES[1:4]})
    # Two exports at once: the writer's second is refused while the first renders, the sign
    # that the first is under way (no clock involved).
    for _ in range(5):
        exports = {asyncio.create_task(writer.get(f"{NOVELS}/{novel_id}", headers=EPUB))}
        exports.add(asyncio.create_task(writer.get(f"{NOVELS}/{novel_id}", headers=EPUB)))
        done, pending = await asyncio.wait(exports, return_when=asyncio.FIRST_COMPLETED)
        second = next(iter(done)).result()
        if second.status_code == 429 and pending:
            export = pending.pop()
            break
        assert second.status_code in (200, 429), second.text[:300]
        await asyncio.gather(*pending)  # one ended before the other began: again
    else:
        pytest.fail("no second export was refused while the first rendered")
    health = await writer.get("/api/v1/health")
    assert health.status_code == 200
    assert not export.done(), "the process answered only once the export had ended"
    book = await export
    assert book.status_code == 200 and book.content.startswith(b"PK")


async def test_a_stage_over_the_limit_is_413_and_changes_nothing(
    writer: httpx.AsyncClient,
) -> None:
    session_id = await new_session(writer)
    before = await state(writer, session_id)
    data = {"text": "x" * (STAGE_MAX_BYTES + 1)}
    payload = {"stage": "CONCEPT_SELECTION", "data": data}
    reply = await command(writer, session_id, "ConfirmStage", payload)
    assert reply.status_code == 413, reply.text[:300]
    assert reply.json()["error_code"] == "STAGE_TOO_LARGE"
    assert await state(writer, session_id) == before
    fits = {"stage": "CONCEPT_SELECTION", "data": {"text": "x" * (STAGE_MAX_BYTES - 100)}}
    assert (await command(writer, session_id, "ConfirmStage", fits)).status_code == 200


async def _hostile_book(writer: httpx.AsyncClient) -> bytes:
    text = {"title": HOSTILE, "logline": HOSTILE, "text": HOSTILE, "items": [HOSTILE]}
    novel_id = await _novel(writer, {stage: text for stage in STAGES})
    answer = await writer.get(f"{NOVELS}/{novel_id}", headers=EPUB)
    assert answer.status_code == 200
    return answer.content


async def test_a_hostile_title_and_text_make_well_formed_xml_without_remote_images(
    writer: httpx.AsyncClient,
) -> None:
    files = await _hostile_book(writer)
    for name, content in _xml_files(files).items():
        ElementTree.fromstring(content)  # raises on what XML 1.0 forbids
        assert b"<img" not in content, name
        assert b'src="http' not in content and b'src="//' not in content, name
    bible = _xml_files(files)["OEBPS/bible.xhtml"].decode()
    assert "Formfeed" in bible and "evil.example/t.png" in bible  # kept, as text


@pytest.mark.skipif(epubcheck() is None, reason="epubcheck is not installed (apt epubcheck)")
async def test_epubcheck_takes_the_hostile_book(writer: httpx.AsyncClient, tmp_path: Path) -> None:
    book = tmp_path / "hostile.epub"
    book.write_bytes(await _hostile_book(writer))
    checker = epubcheck()
    assert checker is not None
    result = await asyncio.to_thread(
        subprocess.run, [*checker, str(book)], capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
