"""Names and places the writer gave are carried verbatim (issue 55): each idea of the corpus
(tests/data/change_requests.json, `ideas`) walked through the five Genesis stages, each
stage's first proposal confirmed, then the first two chapters drafted; every name and place
of the idea is in every stage's content and in both chapters, unchanged."""

import json
from pathlib import Path
from typing import Any
from uuid import uuid4

import pytest

from infinite_scribe.agents.llm.offline.chapters import plan_beats, write_beat
from infinite_scribe.domain.chapter_brief import ChapterBrief, chapter_outline
from infinite_scribe.domain.novel import novel_bible
from tests.support.chapters import genesis_confirmed

#: Each idea of the corpus through every stage and two chapters (issue 75): `make test`.
pytestmark = pytest.mark.corpus

IDEAS: list[dict[str, Any]] = json.loads(
    (Path(__file__).parents[1] / "data" / "change_requests.json").read_text("utf-8")
)["ideas"]


def _draft(given: ChapterBrief) -> str:
    beats = plan_beats(given)
    return "\n".join(write_beat(given, beats, index) for index in range(len(beats)))


@pytest.mark.parametrize("idea", IDEAS, ids=[idea["text"][:24] for idea in IDEAS])
async def test_every_name_and_place_of_the_idea_reaches_every_stage_and_chapter(
    idea: dict[str, Any],
) -> None:
    confirmed = await genesis_confirmed(idea["text"])
    bible = novel_bible(confirmed)
    outline = chapter_outline(bible.outline)
    written = {}
    for number in (1, 2):
        _, title, summary = outline[number - 1]
        earlier = tuple(outline[: number - 1])
        written[f"chapter {number}"] = _draft(
            ChapterBrief(uuid4(), number, title, summary, idea["language"], bible, earlier=earlier)
        )
    texts = {stage: json.dumps(content, ensure_ascii=False) for stage, content in confirmed.items()}
    missing = {
        where: [given for given in idea["names"] + idea["places"] if given not in text]
        for where, text in (texts | written).items()
    }
    assert {where: lost for where, lost in missing.items() if lost} == {}
    # A job or a trade is not a name; an activity is not a place (issue 55).
    premise = confirmed["STORY_CONCEPTION"]["premise"]
    assert not [wrong for wrong in idea.get("never", []) if f"在{wrong}" in premise or
                f"一名{wrong}" in premise], premise  # fmt: skip
