"""The offline writer's outline and prose over a whole walk (stop 85's hand walks): no capital
opens a clause after a semicolon unless a name does, and no outline says a long phrase twice."""

import json
import re
from typing import Any

import pytest

from infinite_scribe.text.codex_reading import read_codex
from tests.support.codex_ideas import GLASS, IDEA_ZH, TRAIN
from tests.support.offline_walk import walk_stages as _walk


def _texts(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [text for item in value.values() for text in _texts(item)]
    if isinstance(value, list):
        return [text for item in value for text in _texts(item)]
    return []


@pytest.mark.parametrize("idea", [GLASS, TRAIN])
async def test_no_clause_after_a_semicolon_opens_with_a_capital_unless_a_name(idea: str) -> None:
    """The hand walk of stop 84: a location read "Where Odile Marchetti lives and works; What
    happened comes to light here" (a template's capitalised slot after a semicolon)."""
    codex = read_codex(idea).as_json()
    confirmed = await _walk(idea, codex)
    names = json.dumps(confirmed, ensure_ascii=False)
    capitals = [m.group(0) for text in _texts(confirmed)
                for m in re.finditer(r"; ([A-Z][a-z]+)", text)]  # fmt: skip
    wrong = [c for c in capitals if not re.search(rf"\b{c[2:]} [A-Z]", names)]
    assert not wrong, wrong


@pytest.mark.parametrize(
    "idea",
    [
        GLASS,
        TRAIN,
        IDEA_ZH,
        "A forensic doctor on Mars in 2150 discovers that the oxygen ledger was falsified.",
    ],
)
async def test_no_outline_says_a_long_phrase_twice(idea: str) -> None:
    """Stop 85: a sharper core ("why the oxygen ledger was falsified", once "what happened") was
    said in two chapters' summaries, and the book's own continuity check called the second a
    repetition (the chapters tell their summaries)."""
    confirmed = await _walk(idea, read_codex(idea).as_json())
    summaries = [c["summary"] for act in confirmed["PLOT_OUTLINE"]["acts"] for c in act["chapters"]]
    chinese = any("\u4e00" <= char <= "\u9fff" for char in idea)
    for index, summary in enumerate(summaries):
        words = list(summary) if chinese else summary.split()
        size = 12 if chinese else 7  # a clause's length: twelve characters, seven words
        for start in range(max(len(words) - size + 1, 0)):
            phrase = ("" if chinese else " ").join(words[start : start + size])
            again = [other for other in summaries[index + 1 :] if phrase in other]
            assert not again, (phrase, again)
