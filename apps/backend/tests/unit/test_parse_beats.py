"""A model's beat sheet (agents/chapter_writer.parse_beats): JSON as asked, or a plain list from
a model without a JSON mode; a reply that opens as JSON and does not parse (cut off, or prose
after a broken opening) is invalid output the gate asks again for, never split into lines
(the engine lane of stop 87: `{ "beats": [ "]`, a code fence and headings became ten beats)."""

import pytest

from infinite_scribe.agents.chapter_writer import parse_beats
from infinite_scribe.agents.llm.port import InvalidOutput

LETTER = "Elias finds the letter."


@pytest.mark.parametrize(
    ("reply", "beats"),
    [
        ('{"beats": ["Elias finds the letter.", "He rows out."]}', [LETTER, "He rows out."]),
        ('```json\n["Elias finds the letter."]\n```', [LETTER]),
        ("1. Elias finds the letter.\n- He rows out.", [LETTER, "He rows out."]),
    ],
)  # fmt: skip
def test_a_beat_sheet_as_json_or_as_a_list(reply: str, beats: list[str]) -> None:
    assert parse_beats(reply) == beats


@pytest.mark.parametrize(
    "reply",
    [
        '{ "beats": [ "]\n```\nThe first line is:\n# Chapter 1: the beats',
        '{"beats": ["Elias finds the letter.", "He rows',
        '["Elias finds the letter.",',
        "",
    ],
)
def test_a_reply_that_opens_as_json_and_does_not_parse_is_invalid(reply: str) -> None:
    with pytest.raises(InvalidOutput):
        parse_beats(reply)
