"""A worker that checks (and drafts) many novels in turn reads each chapter with its novel's
rules, compiled for that novel's cast (text/rules.py, 60-90 ms a cast) and kept for
`COMPILED_CASTS` casts. This times a chapter's read, novels taken in turn, with the cache the
product keeps and with the 8 casts it kept before (the same code otherwise, in one run).

Usage: .venv/bin/python bench/continuity_casts.py [--novels 16] [--rounds 5]
The last line is one JSON object with the figures.
"""

import argparse
import functools
import json
import sys
import time
from pathlib import Path

# The checkout it is run from (an A/B runs it from each: `../shared/ab/ab.sh OLD NEW 2 --
# .venv/bin/python $PWD/bench/continuity_casts.py --as-is`).
sys.path.insert(0, str(Path.cwd() / "apps" / "backend" / "src"))
from infinite_scribe.text import reader, rules
from infinite_scribe.text.reader import Known, read_chapter

FIRST = ("Mara", "Bram", "Ilya", "Ann", "Olav", "Nora")


def novels(count: int) -> list[tuple[Known, str]]:
    """`count` novels of six people each, a chapter of about 4,000 characters each."""
    made = []
    for number in range(count):
        cast = {f"{first} Quill{number}": f"{first} Quill{number}" for first in FIRST}
        said = (
            f"{n} walked to the harbour and spoke of the storm. {n} had grey eyes." for n in cast
        )
        made.append((Known(names=cast), " ".join(said) * 8))
    return made


def per_read_ms(kept: int, books: list[tuple[Known, str]], rounds: int) -> float:
    """CPU ms of a chapter's read, the novels in turn, with `kept` casts compiled."""
    cached = functools.lru_cache(maxsize=kept)(rules.compiled.__wrapped__)
    reader.compiled = cached  # type: ignore[assignment]
    for known, text in books:  # every cast compiled once, as a worker that has run a while
        read_chapter("en", text, known)
    started = time.process_time()
    for _ in range(rounds):
        for known, text in books:
            read_chapter("en", text, known)
    return (time.process_time() - started) / (rounds * len(books)) * 1000


def as_is(count: int, rounds: int) -> None:
    """A chapter's read, the novels in turn, with the cache the checkout keeps."""
    books = novels(count)
    ms = per_read_ms(rules.compiled.cache_info().maxsize or 0, books, rounds)
    print(json.dumps({"bench": "continuity_casts", "novels": count, "ms_per_read": round(ms, 1)}))


def main(count: int, rounds: int) -> None:
    books = novels(count)
    product = per_read_ms(rules.COMPILED_CASTS, books, rounds)
    before = per_read_ms(8, books, rounds)
    print(
        f"{count} novels in turn, a chapter's read: {product:.1f} ms CPU keeping "
        f"{rules.COMPILED_CASTS} casts, {before:.1f} ms keeping 8 ({before / product:.1f}x)"
    )
    print(
        json.dumps(
            {
                "bench": "continuity_casts",
                "novels": count,
                "kept": rules.COMPILED_CASTS,
                "ms_per_read": round(product, 1),
                "ms_per_read_kept_8": round(before, 1),
            }
        )
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--novels", type=int, default=16)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--as-is", action="store_true", help="only the checkout's own cache")
    arguments = parser.parse_args()
    (as_is if arguments.as_is else main)(arguments.novels, arguments.rounds)
