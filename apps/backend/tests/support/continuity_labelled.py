"""The continuity check scored on a labelled set (issue 70): short books written by hand, each
with the findings a careful reader expects, checked through the consumer's use case in memory
(OfflineBook). `bench/continuity.py` prints the figures; a unit test asserts the targets.

A case: `language`, the bible's `characters` (name, aliases, description), its `chapters` in
order and what it `expected` ({kind, chapter, who, attribute}); `blind` marks the cases written
before the reader was changed for them. A finding matches an expected one when its kind,
chapter, character and (for a trait) attribute agree: the right finding about the wrong
character is a false alarm and a miss.
"""

import json
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from infinite_scribe.application.continuity import ChapterReviewer
from infinite_scribe.domain.continuity import TRAIT_CHANGED
from infinite_scribe.domain.novel import NovelBible
from tests.support.continuity_book import check_book

#: Precision and recall each kind must reach (issue 70's targets).
PRECISION, RECALL = 0.9, 0.85

Key = tuple[str, int, str]


def load(path: Path) -> list[dict[str, Any]]:
    cases: list[dict[str, Any]] = json.loads(path.read_text(encoding="utf-8"))["cases"]
    return cases


def bible(case: Mapping[str, Any]) -> NovelBible:
    places = [{"name": name} for name in case.get("places", [])]
    return NovelBible(
        title="labelled",
        characters={"characters": case["characters"]},
        worldview={"locations": places},
    )


def kind_of(finding: Mapping[str, Any]) -> str:
    """The kind a finding is scored as: a changed trait by its attribute ("trait_changed:hair")."""
    kind = str(finding["kind"])
    return f"{kind}:{finding['attribute']}" if kind == TRAIT_CHANGED else kind


def _key(finding: Mapping[str, Any]) -> Key:
    return (kind_of(finding), int(finding["chapter"]), str(finding.get("who") or ""))


async def outcomes(
    case: Mapping[str, Any], reviewer: ChapterReviewer | None = None
) -> list[tuple[str, Key]]:
    """("tp" | "fp" | "fn", key) for each finding found or expected in `case`."""
    found = {_key(f) for f in await check_book(bible(case), case["chapters"], reviewer)}
    wanted = {_key(e) for e in case["expected"]}
    return [
        ("tp" if key in found and key in wanted else "fp" if key in found else "fn", key)
        for key in sorted(found | wanted)
    ]


def scores(tally: Mapping[str, Counter[str]]) -> dict[str, dict[str, float]]:
    """Precision and recall per kind (and `trait_changed` over its attributes)."""
    merged: dict[str, Counter[str]] = {k: Counter(v) for k, v in tally.items()}
    traits = [v for k, v in tally.items() if k.startswith(TRAIT_CHANGED + ":")]
    if traits:
        merged[TRAIT_CHANGED] = sum(traits, Counter())
    result = {}
    for kind in sorted(merged):
        tp, fp, fn = (merged[kind][o] for o in ("tp", "fp", "fn"))
        result[kind] = {
            "precision": round(tp / (tp + fp), 3) if tp + fp else 1.0,
            "recall": round(tp / (tp + fn), 3) if tp + fn else 1.0,
            "expected": tp + fn,
            "found": tp + fp,
        }
    return result


def missed(figures: Mapping[str, Mapping[str, float]]) -> list[str]:
    """The kinds below a target (a kind nothing expects and nothing found is not scored)."""
    return [
        kind
        for kind, f in figures.items()
        if f["expected"] + f["found"] and (f["precision"] < PRECISION or f["recall"] < RECALL)
    ]


async def run(
    cases: Sequence[Mapping[str, Any]], reviewer: ChapterReviewer | None = None
) -> tuple[dict[str, dict[str, dict[str, float]]], list[str]]:
    """({"all" | "blind" | "later": figures per kind}, the errors as "fp|fn case kind ...")."""
    tallies: dict[str, dict[str, Counter[str]]] = {"all": {}, "blind": {}, "later": {}}
    errors = []
    for case in cases:
        share = "blind" if case.get("blind") else "later"
        for outcome, key in await outcomes(case, reviewer):
            for name in ("all", share):
                tallies[name].setdefault(key[0], Counter())[outcome] += 1
            if outcome != "tp":
                errors.append(f"{outcome} {case['id']} {key[0]} chapter {key[1]} {key[2]}")
    return {name: scores(t) for name, t in tallies.items()}, errors


def table(figures: Mapping[str, Mapping[str, float]], kinds: Iterable[str] = ()) -> str:
    """One line per kind: precision, recall, how many expected."""
    lines = []
    for kind in list(kinds) or sorted(figures):
        f = figures[kind]
        lines.append(
            f"{kind:<28} precision {f['precision']:.3f} recall {f['recall']:.3f} "
            f"(expected {f['expected']:.0f}, found {f['found']:.0f})"
        )
    return "\n".join(lines)
