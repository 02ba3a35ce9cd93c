"""A read's response model takes the view's values as they are (issue 49): the novel's bible
is not deep-copied on the event loop on its way to JSON (`dataclasses.asdict` took 2.2 s for a
4 MB bible), and the JSON is the same."""

import uuid
from datetime import UTC, datetime

import orjson

from infinite_scribe.api.schemas.reads import NovelOut
from infinite_scribe.application.ports.reads import NovelView

NOW = datetime(2026, 11, 25, 7, 0, tzinfo=UTC)


def _novel() -> NovelView:
    bible = {"items": [{"name": f"n{index}", "traits": ["brave"]} for index in range(100)]}
    chapter = {"number": 1, "title": "t", "summary": "s", "status": "PLANNED", "text": None}
    return NovelView(
        novel_id=uuid.uuid4(),
        title="The Lighthouse",
        logline=None,
        theme=None,
        writing_style=None,
        status="GENESIS",
        target_chapters=1,
        completed_chapters=0,
        version=3,
        created_at=NOW,
        updated_at=NOW,
        genesis_session_id=None,
        story=bible,
        characters={"characters": bible["items"]},
        chapters=[chapter | {"beats": ["b"]}],
    )


def test_the_bible_is_not_copied_on_its_way_to_json() -> None:
    novel = _novel()
    out = NovelOut.of(novel)
    assert out.story["items"] is novel.story["items"]
    assert out.characters["characters"][0] is novel.story["items"][0]


def test_the_novel_json_has_every_field_of_the_view() -> None:
    novel = _novel()
    body = orjson.loads(NovelOut.of(novel).model_dump_json())
    assert body["story"] == novel.story and body["chapters"][0]["beats"] == ["b"]
    assert body["created_at"] == "2026-11-25T07:00:00Z" and body["version"] == 3
