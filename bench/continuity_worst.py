"""The continuity check's worst shapes (issue 71): what one chapter of each hostile shape costs
the repetition search (`domain/passages.shared`, the chapter against itself and against another
chapter) and the offline reader (`text/reader.read_chapter`), in seconds.

Shapes: periodic text (`ab` x 2,000 and x 30,000), one long run (`=` x 1,000 in prose,
"哈" x 20,000, "…" x 20,000), shuffled blocks (40 copies of 5 blocks of 120 characters), a
60,000-character chapter of prose; the reader with a bible cast of 20,400 names and aliases
over one 59,000-character sentence, and over a sentence naming 5,000 of them; 500 open threads
over 4,000 sentences with a payoff word (28 s before).

Before issue 71 (main 54f5ee0, the issue's figures): `ab` x 2,000 195-216 s, `=` x 1,000 in
prose 11.6-16 s, the huge cast and sentence 42 s. The unit tests assert a generous bound per
shape (tests/unit/test_continuity_worst_shapes.py); this prints the real figures.

Usage: .venv/bin/python bench/continuity_worst.py   (one JSON line: shape -> seconds)
"""

import asyncio
import json
import random
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from infinite_scribe.domain import continuity, passages
from infinite_scribe.domain.novel import NovelBible
from infinite_scribe.text.reader import Known, read_chapter

# The in-memory book is the tests' harness (tests/support).
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "apps" / "backend"))
from tests.support.continuity_book import OfflineBook

WORDS = [
    *("the", "a", "ship", "moved", "slowly", "across", "river", "Mara", "looked", "back"),
    *("at", "town", "and", "said", "nothing"),
]


def prose(size: int, seed: int = 1) -> str:
    pick = random.Random(seed)
    words: list[str] = []
    while sum(len(w) + 1 for w in words) < size:
        words.append(pick.choice(WORDS))
    return " ".join(words)[:size]


def blocks(copies: int = 40) -> str:
    pick = random.Random(3)
    parts = [prose(120, seed) for seed in range(5)]
    return "\n".join(pick.choice(parts) for _ in range(copies))


def cast(size: int = 20_400) -> dict[str, str]:
    pick = random.Random(2)

    def name() -> str:
        return "".join(pick.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(7)).capitalize()

    names: dict[str, str] = {}
    while len(names) < size:
        main = f"{name()} {name()}"
        names[main] = main
        for _ in range(101):
            names[name()] = main
    return names


def shapes() -> dict[str, str]:
    text = prose(3_000)
    return {
        "periodic_ab_2000": "ab" * 2_000,
        "periodic_ab_30000": "ab" * 30_000,
        "separator_line": text[:1_500] + "\n" + "=" * 1_000 + "\n" + text[1_500:],
        "run_ha_20000": "哈" * 20_000,
        "run_ellipsis_20000": "…" * 20_000,
        "shuffled_blocks": blocks(),
        "prose_60000": prose(60_000),
        # Issue 79 P6: 52-character blocks (just over a passage) shuffled: ~1,000 repeats.
        "shuffled_52_blocks_30000": blocks52(30_000),
    }


def blocks52(size: int, seed: int = 7) -> str:
    pick = random.Random(seed)
    parts = [prose(52, n) for n in range(40)]
    lines: list[str] = []
    while sum(len(line) + 1 for line in lines) < size:
        lines.append(pick.choice(parts))
    return "\n".join(lines)


def whole_check(text: str) -> float:
    """A whole check (the consumer's use case, in memory): chapter 2 after a chapter 1 of the
    same text, so the search runs against itself and against chapter 1."""
    cards = [{"name": "Mara Quinn", "description": "Mara Quinn has red hair."}]
    book = OfflineBook(NovelBible(title="worst", characters={"characters": cards}))

    async def run() -> float:
        await book.confirm(1, text)
        start = time.perf_counter()
        await book.confirm(2, text)
        return round(time.perf_counter() - start, 3)

    return asyncio.run(run())


def timed(function: Callable[[], Any]) -> float:
    start = time.perf_counter()
    function()
    return round(time.perf_counter() - start, 3)


def main() -> None:
    figures: dict[str, float] = {}
    for name, text in shapes().items():
        figures[f"shared_self:{name}"] = timed(lambda t=text: passages.shared(t, t, True))
        figures[f"shared_other:{name}"] = timed(lambda t=text: passages.shared(t, t + " x"))
        figures[f"check:{name}"] = whole_check(text)
    names = cast()
    sentence = prose(59_000)
    known = Known(names)
    figures["reader:cast_20400_sentence_59000"] = timed(
        lambda: read_chapter("en", "Mara walked in. " + sentence + ".", known)
    )
    naming = " and ".join(list(names)[:5_000])[:59_000] + " died."
    figures["reader:cast_20400_sentence_naming_5000"] = timed(
        lambda: read_chapter("en", naming, known)
    )
    threads = [(f"t{n}", prose(80, n)) for n in range(500)]
    finally_said = " ".join("It was finally over." for _ in range(4_000))
    figures["reader:threads_500_payoff_sentences_4000"] = timed(
        lambda: read_chapter("en", finally_said, Known({"Mara": "Mara"}, [], threads))
    )
    figures["reader:zh_run_59000"] = timed(lambda: read_chapter("zh", "哈" * 59_000, known))
    chapter, other = blocks52(30_000), blocks52(30_000, seed=8)
    repeats = [(p, 1, "e") for p in passages.shared(chapter, other, False)]
    figures["findings:shuffled_52_blocks_30000"] = timed(
        lambda: continuity.repeated(uuid.uuid4(), (2, "e2"), repeats, chapter)
    )
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
