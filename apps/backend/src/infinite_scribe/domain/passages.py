"""Repeated passages (issue 48's `repetition` finding), pure: winnowed fingerprints of a text
and the passages two texts (or one text twice) share.

A chapter is fingerprinted by hashing every K-character run of its text (whitespace folded)
and keeping the smallest hash of each window of W runs (Schleimer, Wilkerson and Aiken's
winnowing, as MOSS does). Two texts that share a passage of at least K + W - 1 = MIN_PASSAGE
characters share at least one kept fingerprint, so an earlier chapter that repeats a passage
is found by looking its fingerprints up (an index, a cost flat in the book's length), and the
passage itself is then measured on the two texts.
"""

import hashlib
import re
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass

#: A passage shorter than this is not a repetition (the issue's 50 characters).
MIN_PASSAGE = 50
_K = 25
_W = MIN_PASSAGE - _K + 1
_SPACE = re.compile(r"\s+")
_EDGES = (
    " .,;:!?\"'()\u3002\uff0c\uff1b\uff1a\uff01\uff1f\u3001\u201c\u201d\u2018\u2019\uff08\uff09"
)
#: A chapter keeps about 2 / (W + 1) of its positions: ~230 marks for 3,000 characters.
MAX_MARKS = 8_000


def folded(text: str) -> str:
    """The text as compared: runs of whitespace as one space (a reflowed line is the same)."""
    return _SPACE.sub(" ", text).strip()


def _hash(gram: str) -> int:
    digest = hashlib.blake2b(gram.encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)  # fits PostgreSQL's bigint


def marks(text: str) -> list[tuple[int, int]]:
    """(fingerprint, position in `folded(text)`) kept by winnowing, in text order."""
    flat = folded(text)
    hashes = [_hash(flat[i : i + _K]) for i in range(len(flat) - _K + 1)]
    kept: dict[int, int] = {}
    window: deque[int] = deque()  # positions of the window, their hashes rising
    for position, value in enumerate(hashes):
        # Popping ties too keeps the rightmost minimum: a sliding window keeps its mark.
        while window and hashes[window[-1]] >= value:
            window.pop()
        window.append(position)
        if window[0] <= position - _W:
            window.popleft()
        if position >= _W - 1:
            kept.setdefault(window[0], hashes[window[0]])
    return [(value, position) for position, value in sorted(kept.items())][:MAX_MARKS]


@dataclass(frozen=True)
class Passage:
    """A passage of `text` (from `start`, folded) that `other` also has from `other_start`."""

    start: int
    other_start: int
    length: int
    quote: str


def _grown(text: str, other: str, i: int, j: int) -> tuple[int, int, int]:
    """The longest common run through text[i] == other[j]: (start, other start, length)."""
    while i > 0 and j > 0 and text[i - 1] == other[j - 1]:
        i, j = i - 1, j - 1
    length = 0
    while (
        i + length < len(text) and j + length < len(other) and text[i + length] == other[j + length]
    ):
        length += 1
    return i, j, length


def shared(
    text: str, other: str, same: bool = False, own: list[tuple[int, int]] | None = None
) -> list[Passage]:
    """Passages of at least MIN_PASSAGE characters of `text` that `other` also has (both are
    folded first); `same`: `other` is `text` itself (a passage repeated inside one chapter);
    `own`: `marks(text)`, when the caller has them already."""
    flat, flat_other = folded(text), folded(other)
    mine = marks(flat) if own is None else own
    theirs: dict[int, list[int]] = {}
    for value, position in mine if same else marks(flat_other):
        theirs.setdefault(value, []).append(position)
    found: list[Passage] = []
    covered: list[tuple[int, int]] = []
    for value, position in mine:
        if any(start <= position < end for start, end in covered):
            continue
        for at in theirs.get(value, ()):
            if same and at >= position:
                continue  # inside one text the later copy repeats the earlier, once
            start, other_start, length = _grown(flat, flat_other, position, at)
            if same and start - other_start < length:
                continue  # a run overlapping itself ("ababab") is not a repetition
            if length >= MIN_PASSAGE:
                # Shown without the punctuation a match may begin on (". Tomas...").
                quote = flat[start : start + length].lstrip(_EDGES).rstrip()
                found.append(Passage(start, other_start, length, quote))
                covered.append((start, start + length))
                break
    return found


def same_stretch(one: Passage, other: Passage) -> bool:
    """Whether two passages of a text are mostly the same stretch of it (more than half of
    the shorter): two matches of one sentence may differ by a few characters at their ends."""
    overlap = min(one.start + one.length, other.start + other.length) - max(one.start, other.start)
    return overlap > min(one.length, other.length) / 2


def best_chapters(hits: Iterable[tuple[int, int]], limit: int = 3) -> list[int]:
    """The chapters whose fingerprints a text shares most ((chapter, shared count) pairs)."""
    ranked = sorted(hits, key=lambda hit: (-hit[1], hit[0]))
    return [chapter for chapter, _ in ranked[:limit]]
