# ruff: noqa: RUF001 - Chinese text uses full-width punctuation on purpose
"""The phrasings writers use (issue 70): the labelled set (tests/data/continuity_phrasings.json,
Chinese and English, written as data) checked through the consumer's use case in memory reaches
precision >= 0.9 and recall >= 0.85 for each kind, over all its cases and over its blind half
(the cases written before the reader changed for them): a phrasing the reader stops
understanding fails here."""

import re
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from infinite_scribe.text.reader import Known, read_chapter
from infinite_scribe.text.rules import data
from tests.support import continuity_labelled as labelled

CASES = labelled.load(Path(__file__).parents[2] / "data" / "continuity_phrasings.json")
#: Issue 78's set: 100 cases per language written blind before the reader was read by kind.
KINDS = labelled.load(Path(__file__).parents[2] / "data" / "continuity_kinds.json")
#: Issue 78's targets on it, for every kind and every trait's attribute.
KINDS_PRECISION, KINDS_RECALL = 0.95, 0.9


def test_the_set_is_large_varied_and_half_blind() -> None:
    assert len(CASES) >= 200
    assert len({case["id"] for case in CASES}) == len(CASES)
    blind = [case for case in CASES if case["blind"]]
    assert len(blind) >= 100
    for share in (blind, CASES):
        languages = Counter(case["language"] for case in share)
        assert min(languages["zh"], languages["en"]) >= len(share) // 3
        assert sum(1 for case in share if not case["expected"]) >= len(share) // 4  # negatives
    shapes = {case["shape"].split(":")[0] for case in CASES}
    assert {"death", "not", "hair", "eyes", "age", "alias", "pronoun", "compound"} <= shapes


@pytest.fixture(scope="module")
def figures() -> tuple[dict[str, Any], list[str]]:
    import asyncio

    return asyncio.run(labelled.run(CASES))


@pytest.mark.parametrize("share", ["all", "blind"])
def test_every_kind_meets_its_targets(
    figures: tuple[dict[str, Any], list[str]], share: str
) -> None:
    scores, errors = figures
    kinds = scores[share]
    assert {"dead_character_acts", "trait_changed:hair", "trait_changed:eyes"} <= set(kinds)
    assert {"trait_changed:age", "trait_changed"} <= set(kinds)
    assert labelled.missed(kinds) == [], (labelled.table(kinds), errors)


@pytest.fixture(scope="module")
def kinds() -> dict[str, Any]:
    import asyncio

    scores, _ = asyncio.run(labelled.run(KINDS))
    return scores["all"]


def test_the_kinds_set_is_blind_and_holds_every_kind_and_its_negatives() -> None:
    assert len(KINDS) == 200 and all(case["blind"] for case in KINDS)
    languages = Counter(case["language"] for case in KINDS)
    assert languages == {"en": 100, "zh": 100}
    shapes = {case["shape"].split(":")[0] for case in KINDS}
    assert {"death", "act", "hair", "eyes", "age", "height", "scar", "limb", "pronoun"} <= shapes
    assert sum(1 for case in KINDS if not case["expected"]) >= 24  # negatives


def test_every_kind_of_issue_78_is_read_by_kind(kinds: dict[str, Any]) -> None:
    wanted = {f"trait_changed:{a}" for a in ("hair", "eyes", "age", "height", "scar", "limb")}
    assert {"dead_character_acts", "trait_changed"} | wanted <= set(kinds)
    below = [
        kind
        for kind, f in kinds.items()
        if f["precision"] < KINDS_PRECISION or f["recall"] < KINDS_RECALL
    ]
    assert below == [], labelled.table(kinds)


#: Issue 78's second set, 60 cases per language written blind after the reader changed and
#: tuned on since (its misses read): held to the targets for both kinds as a whole. The third
#: (continuity_kinds_final.json) is never tuned on: `bench/continuity.py` prints it.
HELD_OUT = labelled.load(Path(__file__).parents[2] / "data" / "continuity_kinds_heldout.json")


def test_the_held_out_set_meets_the_targets_for_both_kinds() -> None:
    import asyncio

    scores, errors = asyncio.run(labelled.run(HELD_OUT))
    both = {kind: scores["all"][kind] for kind in ("dead_character_acts", "trait_changed")}
    below = [
        k for k, f in both.items() if f["precision"] < KINDS_PRECISION or f["recall"] < KINDS_RECALL
    ]
    assert below == [], (labelled.table(scores["all"]), errors)


def test_a_kind_below_a_target_is_reported() -> None:
    counts = {"trait_changed:age": Counter(tp=8, fn=2), "dead_character_acts": Counter(tp=9, fp=1)}
    scores = labelled.scores(counts)
    assert scores["trait_changed"] == {"precision": 1.0, "recall": 0.8, "expected": 10, "found": 8}
    assert labelled.missed(scores) == ["trait_changed", "trait_changed:age"]
    assert "dead_character_acts" in labelled.table(scores)


ZH = Known({"顾南": "顾南", "老顾": "顾南", "苏晚": "苏晚"})
EN = Known({"Ilya Brandt": "Ilya Brandt", "Ilya": "Ilya Brandt", "Nell": "Nell"})


def said(language: str, text: str, known: Known) -> list[tuple[str, str, str]]:
    return [
        (f["who"], str(f.get("attribute", f["kind"])), str(f["value"]))
        for f in read_chapter(language, text, known)["facts"]
        if f["kind"] in ("status", "trait")
    ]


def test_an_opening_pronoun_is_the_one_character_named_before_it() -> None:
    assert said("zh", "顾南中了一枪。他当场就死了。", ZH) == [("顾南", "status", "dead")]
    assert said("en", "Ilya came in. His hair was blond. He said nothing.", EN) == [
        ("Ilya Brandt", "hair", "blond")
    ]
    # Two characters before it, or a plural: nobody in particular.
    assert said("zh", "顾南和苏晚走了进来。她的眼睛是蓝色的。", ZH) == []
    assert said("zh", "顾南走了进来。他们都死了。", ZH) == []
    assert said("en", "Ilya met Nell. Her eyes were grey.", EN) == []
    # The quote is the sentence as written.
    facts = read_chapter("en", "Ilya came in. His hair was blond.", EN)["facts"]
    assert [f["quote"] for f in facts if f["kind"] == "trait"] == ["His hair was blond."]


def test_a_subject_pronoun_after_a_clause_is_the_sentences_one_character() -> None:
    assert said("zh", "顾南挡在苏晚身前，长剑穿胸而过，他当场毙命。", ZH) == [
        ("顾南", "status", "dead")
    ]
    # Chinese: the character the sentence opens on, not one named later in it.
    assert said("zh", "长剑刺向苏晚，他当场毙命。", ZH) == []
    assert said("en", "Nell fell back against the wall, and she was dead.", EN) == [
        ("Nell", "status", "dead")
    ]
    assert said("en", "Nell shot at Ilya, and he was dead.", EN) == []  # two characters


def test_a_lower_case_alias_opens_a_sentence_and_a_word_before_a_name_is_not_one() -> None:
    known = Known({"Eleanor Voss": "Eleanor Voss", "the Duchess": "Eleanor Voss", "Rowan": "Rowan"})
    assert said("en", "The Duchess died in her sleep.", known) == [
        ("Eleanor Voss", "status", "dead")
    ]
    assert said("en", "But Rowan was alive.", known) == [("Rowan", "status", "alive")]


def test_a_death_doubted_or_idiomatic_is_none_but_a_negation_inside_the_phrase_is() -> None:
    assert said("zh", "老顾被人从背后捅了一刀，再也没有醒来。", ZH) == [("顾南", "status", "dead")]
    assert said("zh", "听说顾南已经死了。顾南想起了死去的母亲。", ZH) == []
    assert said("en", "Nell was dead tired. Rumour had it that Ilya was dead.", EN) == []
    assert said("en", "Ilya fell asleep by the fire and never woke up.", EN) == [
        ("Ilya Brandt", "status", "dead")
    ]


def test_a_death_is_the_nearest_named_characters_not_the_one_who_learns_of_it() -> None:
    assert said("zh", "苏晚得知老顾死了。", ZH) == [("顾南", "status", "dead")]
    assert said("zh", "顾南在苏晚的怀里死了。", ZH) == [("顾南", "status", "dead")]
    assert said("zh", "顾南从苏晚那里得知父亲死了。", ZH) == []
    assert said("en", "Nell learned that Ilya had died.", EN) == [("Ilya Brandt", "status", "dead")]
    assert said("en", "Nell saw the man fall and die.", EN) == []


def test_a_colour_said_where_a_look_changes_is_marked_a_change() -> None:
    text = "Nell's hair was black. Nell dyed it. Nell's red hair shone. Nell's eyes were blue."
    marked = [
        (f["attribute"], f["value"], bool(f.get("change")))
        for f in read_chapter("en", text, EN)["facts"]
        if f["kind"] == "trait"
    ]
    assert marked == [("hair", "black", False), ("hair", "red", True), ("eyes", "blue", False)]
    said = read_chapter("zh", "苏晚把头发染成了金色。苏晚一头金发。", ZH)["facts"]
    # Read by kind (issue 78), the dye's own sentence says the colour too: both a change.
    assert [f.get("change") for f in said if f["kind"] == "trait"] == [True, True]


@pytest.mark.parametrize(
    ("language", "text", "age"),
    [
        ("en", "Ilya was thirty-two years old.", "32"),
        ("en", "Ilya, a twenty-nine-year-old nurse, slept.", "29"),
        ("en", "Nell was a hundred years old.", "100"),
        ("zh", "顾南今年三十二岁。", "32"),
        ("zh", "顾南今年才十八。", "18"),
    ],
)
def test_ages_in_digits_words_and_numerals(language: str, text: str, age: str) -> None:
    known = ZH if language == "zh" else EN
    assert [value for _, attribute, value in said(language, text, known) if attribute == "age"] == [
        age
    ]


def _top(pattern: str) -> list[str]:
    """`pattern`'s alternatives at the top level."""
    parts, depth, current, i = [], 0, "", 0
    while i < len(pattern):
        step = 2 if pattern[i] == "\\" else 1
        depth += {"(": 1, ")": -1}.get(pattern[i], 0)
        if pattern[i] == "|" and depth == 0:
            parts.append(current)
            current = ""
        else:
            current += pattern[i : i + step]
        i += step
    return [*parts, current]


def _group_end(pattern: str, start: int) -> int:
    depth, i = 0, start
    while True:
        if pattern[i] == "\\":
            i += 2
            continue
        depth += {"(": 1, ")": -1}.get(pattern[i], 0)
        i += 1
        if depth == 0:
            return i


def _piece(pattern: str, i: int) -> tuple[list[str], int]:
    """The literal variants of the piece at `i` and where the next starts; a class, a hole
    (but `{dies}`) or an escape is a blank (it holds no cue); a lookaround is nothing."""
    if pattern[i] == "(":
        end = _group_end(pattern, i)
        inner = pattern[i + 1 : end - 1]
        if inner.startswith(("?!", "?=", "?<!", "?<=")):
            return [""], end
        inner = inner[inner.index(">") + 1 :] if inner.startswith("?P<") else inner
        return expand(inner.removeprefix("?:")), end
    if pattern[i] == "[":
        return [" "], pattern.index("]", i + 1) + 1
    if pattern[i] == "{":  # a hole: kept ({dies} is filled by the test), or a blank
        end = pattern.index("}", i) + 1
        return [pattern[i:end] if pattern[i:end] == "{dies}" else " "], end
    if pattern[i] == "\\":
        return [" "], i + 2
    return [" " if pattern[i] == "." else pattern[i]], i + 1


def expand(pattern: str) -> list[str]:
    """Every literal shape of a simple pattern (its groups' alternatives, optional parts with
    and without): enough to see which words every match of it holds."""
    if len(alternatives := _top(pattern)) > 1:
        return [shape for alternative in alternatives for shape in expand(alternative)]
    shapes, before, i = [""], [""], 0
    while i < len(pattern):
        quantifier = re.match(r"[?*+]\??|\{(\d*),?\d*\}\??", pattern[i:])
        if quantifier:
            optional = quantifier.group() in ("?", "*", "??", "*?") or quantifier.group(1) in (
                "0",
                "",
            )
            shapes = before + shapes if optional and quantifier.group() != "+" else shapes
            i += quantifier.end()
            continue
        pieces, i = _piece(pattern, i)
        before, shapes = shapes, [shape + piece for shape in shapes for piece in pieces]
    return shapes


@pytest.mark.parametrize("language", ["en", "zh"])
def test_every_death_holds_a_cue(language: str) -> None:
    """A sentence without a cue is not searched for a death: no pattern may match without one."""
    spec = data()[language]
    dies = [shape for phrase in spec["dies"] for shape in expand(phrase)]
    assert len(dies) > 50
    for pattern in spec["death"]:
        for shape in expand(pattern):
            for said in (
                [shape.replace("{dies}", d) for d in dies] if "{dies}" in shape else [shape]
            ):
                lowered = said.lower()
                assert any(cue in lowered for cue in spec["death_cues"]), (pattern, said)


def test_shapes_of_a_pattern() -> None:
    assert expand("(?:was|had been) (?:[a-z]+ )?shot") == [
        "was shot", "had been shot", "was   shot", "had been   shot",
    ]  # fmt: skip
    assert expand("永远地?闭上了(?!眼)") == ["永远闭上了", "永远地闭上了"]
