"""The continuity check by a model's review (issue 78's design for phrasings no rule was written
for), scored on a labelled set written blind: the same books and the same scoring as the
reader's rules (tests/support/continuity_labelled.py), once by the rules and once with the
model's reviewer (agents/continuity/model_review.py: the worker's when a model is configured;
a finding is kept only where its quotes hold), on the local engine (`make model`; the packaged
SmolLM2-135M unless `--model` names another GGUF file or packaged model).

Usage: .venv/bin/python bench/continuity_review.py [--set final] [--every N] [--model smollm2]
(`--every 5`: every fifth case, all kinds still in; a small model may write each review to its
reply's token limit, a minute a review on two cores.)
Prints precision and recall per kind for both, the reviews asked, answered and timed out, and
one JSON line with the figures.
"""

import argparse
import asyncio
import json
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "apps" / "backend"))
from tests.support import continuity_labelled as labelled
from tests.support.local_engine import engine_provider

from infinite_scribe.agents.continuity.model_review import ModelReviewer
from infinite_scribe.embedded.local_engine import LocalEngine, resolve_model

_DATA = Path(__file__).resolve().parents[1] / "apps" / "backend" / "tests" / "data"
KINDS = ("dead_character_acts", "trait_changed")


class CountedReviewer:
    """The model's reviewer, counting the reviews asked, answered and their seconds (a review
    past the check's budget is cancelled and the rules stand: not answered)."""

    def __init__(self, inner: ModelReviewer) -> None:
        self.inner = inner
        self.tally: Counter[str] = Counter()
        self.seconds = 0.0

    async def __call__(
        self, language: str, chapter: int, text: str, facts: Any
    ) -> list[dict[str, Any]]:
        self.tally["asked"] += 1
        started = time.monotonic()
        try:
            found = await self.inner(language, chapter, text, facts)
        except Exception:
            self.tally["failed"] += 1
            raise
        self.seconds += time.monotonic() - started
        self.tally["answered"] += 1
        self.tally["proposed"] += len(found)
        return found


async def score(cases: list[dict[str, Any]], engine: LocalEngine | None) -> dict[str, Any]:
    if engine is None:
        figures, _ = await labelled.run(cases)
        return {"figures": figures["all"]}
    provider = engine_provider(engine)
    reviewer = CountedReviewer(ModelReviewer(provider))
    try:
        figures, _ = await labelled.run(cases, reviewer)
    finally:
        await provider.aclose()
    answered = reviewer.tally["answered"]
    return {
        "figures": figures["all"],
        "reviews": dict(reviewer.tally),
        "seconds_per_review": round(reviewer.seconds / answered, 1) if answered else None,
    }


def added(rules: dict[str, Any], reviewed: dict[str, Any], kind: str) -> dict[str, int] | None:
    """What the review added to the rules' findings of `kind`: found, and of them true."""
    one, both = rules["figures"].get(kind), reviewed["figures"].get(kind)
    if one is None or both is None:
        return None

    def true(f: dict[str, float]) -> int:
        return round(f["precision"] * f["found"])

    return {"found": int(both["found"] - one["found"]), "true": true(both) - true(one)}


def report(name: str, result: dict[str, Any]) -> None:
    print(f"== {name}", result.get("reviews", ""))
    print(labelled.table(result["figures"], [k for k in KINDS if k in result["figures"]]))


async def main(set_name: str, every: int, model: str) -> None:
    cases = labelled.load(_DATA / f"continuity_kinds_{set_name}.json")[::every]
    rules = await score(cases, None)
    report("rules", rules)
    folder = Path(tempfile.mkdtemp(prefix="continuity-review-"))
    engine = LocalEngine(resolve_model(model), folder / "engine.log")
    await asyncio.to_thread(engine.start, 600)
    try:
        reviewed = await score(cases, engine)
    finally:
        engine.stop()
    report(f"the rules and the model's review ({model}), as the worker runs them", reviewed)
    print(
        json.dumps(
            {
                "bench": "continuity_review",
                "set": set_name,
                "cases": len(cases),
                "model": model,
                "rules": {k: rules["figures"].get(k) for k in KINDS},
                "review": {k: reviewed["figures"].get(k) for k in KINDS},
                "added_by_review": {k: added(rules, reviewed, k) for k in KINDS},
                "reviews": reviewed["reviews"],
                "seconds_per_review": reviewed["seconds_per_review"],
            }
        )
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--set", default="final", help="continuity_kinds_<set>.json")
    parser.add_argument("--every", type=int, default=1, help="every Nth case only")
    parser.add_argument("--model", default="smollm2", help="a packaged model or a GGUF file")
    arguments = parser.parse_args()
    asyncio.run(main(arguments.set, arguments.every, arguments.model))
