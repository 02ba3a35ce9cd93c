# ruff: noqa: RUF001 - Chinese text uses full-width punctuation on purpose
"""What a small model left of its JSON in its texts never reaches the writer (a walk with
SmolLM2-135M through llama.cpp): a concept proposal's note "{ { {{", a world's history
"[{ 'voice' : {", outline chapters' summaries ending in "} },\\n          {", a concept's title
over two lines, each refused as GUARD_JUNK_TEXT in the field and shape it came in (so the
model is asked again); and prose that holds a bracket, a brace or quotes is not refused."""

from typing import Any

import pytest

from infinite_scribe.domain import proposal_guard as guard
from infinite_scribe.domain.codex import Codex
from infinite_scribe.domain.proposal_guard import Asked, check_stage

EN = Asked("en")
CONCEPTS = {
    "concepts": [
        {"title": "The Pawned Ring", "logline": "Isobel pawns her mother's ring.", "themes": ["d"]},
        {"title": "The Ledger", "logline": "A ledger names every debtor.", "themes": ["d"]},
    ],
    "note": "Two concepts, as asked.",
}
WORLD = {
    "setting": "Leith in winter.",
    "rules": ["Debts pass to the children."],
    "locations": [{"name": "Leith", "description": "The harbour town."}],
    "history": "Leith burned in 1544 and was built again.",
}
#: What the walk saw: a sentence, then the JSON of the next chapter begun inside the string.
DEBRIS = "} },\n          {"


def _outline(*summaries: str) -> dict[str, Any]:
    chapters = [{"title": f"C{n}", "summary": text} for n, text in enumerate(summaries)]
    return {"acts": [{"title": "One", "summary": "Isobel runs out of time.", "chapters": chapters}]}


def _found(stage: str, content: dict[str, Any], asked: Asked = EN) -> list[tuple[str, str]]:
    return [(f.code, f.where) for f in check_stage(stage, content, Codex(), asked)]


def test_the_shapes_the_walk_saw_pass_when_told() -> None:
    assert _found("CONCEPT_SELECTION", CONCEPTS) == []
    assert _found("WORLDVIEW", WORLD) == []
    assert _found("PLOT_OUTLINE", _outline("Isobel pawns the ring.", "She runs.")) == []


def test_a_concept_proposals_note_of_braces_is_refused() -> None:
    # The note is the model's own words to the writer, shown beside the proposal.
    found = _found("CONCEPT_SELECTION", {**CONCEPTS, "note": "{ { {{"})
    assert found == [(guard.JUNK_TEXT, "note")]


def test_a_history_of_json_syntax_around_a_key_is_refused() -> None:
    found = _found("WORLDVIEW", {**WORLD, "history": "[{ 'voice' : {"})
    assert found == [(guard.JUNK_TEXT, "history")]


def test_outline_summaries_ending_in_json_debris_are_refused() -> None:
    outline = _outline(
        f"Isobel pawns her mother's ring in Leith. {DEBRIS}",
        f"The Collector comes for the debt. {DEBRIS}",
    )
    assert _found("PLOT_OUTLINE", outline) == [
        (guard.JUNK_TEXT, "acts[0].chapters[0].summary"),
        (guard.JUNK_TEXT, "acts[0].chapters[1].summary"),
    ]
    # The writer is told what is wrong with it: the debris, not the sentence before it.
    failed = check_stage("PLOT_OUTLINE", outline, Codex(), EN)[0]
    assert failed.what.startswith("}") and "Isobel" not in failed.what


def test_a_concept_title_over_two_lines_is_refused() -> None:
    concepts = [{**CONCEPTS["concepts"][0], "title": "The Pawned\nRing"}, CONCEPTS["concepts"][1]]
    found = _found("CONCEPT_SELECTION", {**CONCEPTS, "concepts": concepts})
    assert found == [(guard.JUNK_TEXT, "concepts[0].title")]
    concepts = [{**CONCEPTS["concepts"][0], "themes": ["debt\nlove"]}, CONCEPTS["concepts"][1]]
    found = _found("CONCEPT_SELECTION", {**CONCEPTS, "concepts": concepts})
    assert found == [(guard.JUNK_TEXT, "concepts[0].themes[0]")]  # a tag is one line too


@pytest.mark.parametrize(
    "text",
    [
        '{"voice": "calm", "pace": "slow"}',  # an object whose letters are its keys and values
        '[{"title": "Leith"}]',
        "Leith burned in 1544. ]}",
        "Leith burned in 1544. [",
        "[{ Leith burned in 1544.",  # a brace nested at the start, as an array's object opens
        "} Leith burned in 1544.",
        ", { Leith burned in 1544.",
        '"history": "Leith burned in 1544."',  # a key said before its text
        '"history": {',
    ],
)
def test_json_syntax_at_either_end_or_around_a_key_is_refused(text: str) -> None:
    assert _found("WORLDVIEW", {**WORLD, "history": text}) == [(guard.JUNK_TEXT, "history")]


@pytest.mark.parametrize(
    "text",
    [
        "He wrote 'recieve' [sic] in the ledger, and Isobel laughed.",
        "He wrote 'recieve' in the ledger [sic]",
        "[Translator's note: Leith is the port of Edinburgh.]",
        "The Collector (he said) owns the harbour.",
        "The crew formed the set {Ana, Bo, Cy}, and no one else could board.",
        "The sign on the vault read {SEALED}",
        "{Ana, Bo} were the only two left.",
        'She called it "home": a room above the pawnshop.',
        '"Run," she said. "The Collector is here."',
        "The ledger's last line: 'paid in full'.",
        "[[Static]] was all the radio gave them.",
    ],
)
def test_prose_that_holds_a_bracket_or_quotes_passes(text: str) -> None:
    assert _found("WORLDVIEW", {**WORLD, "history": text}) == []


def test_chinese_prose_with_its_brackets_and_quotes_passes() -> None:
    world = {
        "setting": "【序章】冬天将尽的港口小城里，一笔旧债浮出水面。",
        "rules": ["「欠债还钱」是码头上唯一的规矩。"],
        "locations": [{"name": "码头", "description": "顾南说：“这里就是家。”"}],
        "history": "旧账本上写着{甲、乙}两个名字 [原文如此]",
    }
    assert _found("WORLDVIEW", world, Asked("zh")) == []


def test_a_title_or_name_on_one_line_passes_and_a_long_text_may_span_lines() -> None:
    world = {
        **WORLD,
        "locations": [{"name": "Leith: the old harbour", "description": "Wet.\nCold."}],
        "history": "Leith burned in 1544.\n\nIt was built again.",
    }
    assert _found("WORLDVIEW", world) == []
    world["locations"] = [{"name": "Leith\nthe old harbour", "description": "Wet."}]
    assert _found("WORLDVIEW", world) == [(guard.JUNK_TEXT, "locations[0].name")]


def test_the_writers_feedback_and_the_stamped_fields_are_not_read() -> None:
    stamped = {**CONCEPTS, "feedback_applied": ["{ { {{"], "revision_note": "[{", "source": "]["}
    assert _found("CONCEPT_SELECTION", stamped) == []
