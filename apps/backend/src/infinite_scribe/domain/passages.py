"""Repeated passages (issue 48's `repetition` finding), pure: winnowed fingerprints of a text
and the passages two texts (or one text twice) share.

A chapter is fingerprinted by hashing every K-character run of its text (whitespace folded)
and keeping the smallest hash of each window of W runs (Schleimer, Wilkerson and Aiken's
winnowing, as MOSS does). Two texts that share a passage of at least K + W - 1 = MIN_PASSAGE
characters share at least one kept fingerprint, so an earlier chapter that repeats a passage
is found by looking its fingerprints up (an index, a cost flat in the book's length), and the
passage itself is then measured on the two texts.
"""

import bisect
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


def _reach(a: str, i: int, b: str, j: int, limit: int, step: int) -> int:
    """How many characters a and b have in common from a[i] and b[j] on (step 1) or before
    them (step -1), at most `limit`: galloping slice comparisons (memcmp in C), so a run of
    L characters costs O(log L) comparisons of O(L) bytes, never L Python steps."""
    limit = min(limit, len(a) - i, len(b) - j) if step > 0 else min(limit, i, j)
    done, chunk = 0, 16
    while done < limit:
        size = min(chunk, limit - done)
        if step > 0:
            same = a[i + done : i + done + size] == b[j + done : j + done + size]
        else:
            same = a[i - done - size : i - done] == b[j - done - size : j - done]
        if not same:
            if size == 1:
                return done
            chunk = size // 2  # halve within the chunk that differs
            continue
        done += size
        chunk *= 2
    return done


@dataclass
class _Runs:
    """The maximal common runs of two texts, grown once per diagonal (i - j) and stretch: a
    mark found again inside a run already grown reads it, not the texts (periodic text would
    otherwise grow the same run once per mark and occurrence: cubic)."""

    text: str
    other: str
    same: bool
    known: dict[int, tuple[int, int, bool]]

    def run(self, i: int, j: int) -> tuple[int, int, bool]:
        """(start in text, length, overlapping) of the common run through text[i] ==
        other[j]; `overlapping` (one text only): the run is longer than its distance to its
        copy, and is grown no further than that (it is refused whatever its length)."""
        diagonal = i - j
        start, end, overlapping = self.known.get(diagonal, (0, 0, False))
        if not start <= i < end:
            # Inside one text, a run longer than its distance overlaps its copy: refused,
            # so growing it further would be wasted work.
            limit = diagonal + 1 if self.same else len(self.text)
            back = _reach(self.text, i, self.other, j, limit, -1)
            ahead = _reach(self.text, i, self.other, j, limit - back, 1)
            start, end = i - back, i + ahead
            overlapping = self.same and end - start > diagonal
            self.known[diagonal] = (start, end, overlapping)
        return start, end - start, overlapping


#: At most this many occurrences of one mark in the other text are grown: a fingerprint met
#: more often is a refrain or a run ("======", "哈哈哈"), whose first copies decide.
MAX_OCCURRENCES = 32


def _found_in(other: str, flat: str, mine: list[tuple[int, int]]) -> dict[int, list[int]]:
    """Where `other` has each of `mine`'s runs (its first MAX_OCCURRENCES): the run itself
    looked for (a search in C), not the other text's fingerprints computed (a hash per
    character in Python: 7 ms of a 3,000-character chapter). Every place a fingerprint of the
    other text would be found is among these: a shared passage of MIN_PASSAGE is found."""
    where: dict[int, list[int]] = {}
    for value, position in mine:
        if value in where:
            continue
        gram, found = flat[position : position + _K], list[int]()
        at = other.find(gram)
        while at != -1 and len(found) < MAX_OCCURRENCES:
            found.append(at)
            at = other.find(gram, at + 1)
        if found:
            where[value] = found
    return where


def shared(
    text: str, other: str, same: bool = False, own: list[tuple[int, int]] | None = None
) -> list[Passage]:
    """Passages of at least MIN_PASSAGE characters of `text` that `other` also has (both are
    folded first); `same`: `other` is `text` itself (a passage repeated inside one chapter);
    `own`: `marks(text)`, when the caller has them already.

    Cost: O(marks x MAX_OCCURRENCES) run look-ups, each run grown once (`_Runs`): about
    linear in the text whatever its shape (periodic text, one long run, shuffled blocks)."""
    flat, flat_other = folded(text), folded(other)
    mine = marks(flat) if own is None else own
    theirs: dict[int, list[int]] = {}
    if same:
        for value, position in mine:
            theirs.setdefault(value, []).append(position)
    else:
        theirs = _found_in(flat_other, flat, mine)
    runs = _Runs(flat, flat_other, same, {})
    found: list[Passage] = []
    covered = 0  # marks come in text order: one passed a found passage's end is outside all
    for value, position in mine:
        if position < covered:
            continue
        for at in theirs.get(value, ())[:MAX_OCCURRENCES]:
            if same and at >= position:
                break  # inside one text the later copy repeats the earlier, once
            start, length, overlapping = runs.run(position, at)
            if overlapping:
                continue  # a run overlapping itself ("ababab") is not a repetition
            if length >= MIN_PASSAGE:
                # Shown without the punctuation a match may begin on (". Tomas...").
                quote = flat[start : start + length].lstrip(_EDGES).rstrip()
                found.append(Passage(start, start - (position - at), length, quote))
                covered = max(covered, start + length)
                break
    return found


def same_stretch(one: Passage, other: Passage) -> bool:
    """Whether two passages of a text are mostly the same stretch of it (more than half of
    the shorter): two matches of one sentence may differ by a few characters at their ends."""
    overlap = min(one.start + one.length, other.start + other.length) - max(one.start, other.start)
    return overlap > min(one.length, other.length) / 2


class Stretches:
    """Passages of one text kept one per stretch (`same_stretch`): a new passage is compared
    with the kept ones it overlaps, found by their starts (bisect), not with every one."""

    def __init__(self) -> None:
        self._starts: list[int] = []
        self._kept: list[Passage] = []
        self._longest = 0

    def add(self, passage: Passage) -> bool:
        """Keep `passage` unless it is mostly the stretch of one kept already."""
        end = passage.start + passage.length
        low = bisect.bisect_right(self._starts, passage.start - self._longest)
        high = bisect.bisect_left(self._starts, end)
        if any(same_stretch(passage, kept) for kept in self._kept[low:high]):
            return False
        at = bisect.bisect_right(self._starts, passage.start)
        self._starts.insert(at, passage.start)
        self._kept.insert(at, passage)
        self._longest = max(self._longest, passage.length)
        return True


def best_chapters(hits: Iterable[tuple[int, int]], limit: int = 3) -> list[int]:
    """The chapters whose fingerprints a text shares most ((chapter, shared count) pairs)."""
    ranked = sorted(hits, key=lambda hit: (-hit[1], hit[0]))
    return [chapter for chapter, _ in ranked[:limit]]
