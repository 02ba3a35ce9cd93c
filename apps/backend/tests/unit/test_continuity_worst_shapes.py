# ruff: noqa: RUF001 - Chinese text uses full-width punctuation on purpose
"""Issue 71: a continuity check's cost is bounded by the chapter's length whatever the text.
Each hostile shape is checked under a generous bound (bench/continuity_worst.py prints the real
figures: 0.03-0.07 s for `ab` x 2,000, which took 195-216 s before; 0.2 s for a cast of 20,400
over a 59,000-character sentence, 42 s before), with the same results as before on prose: the
search is compared with the old one (every mark's occurrences grown, a reference here)."""

import random
import time
import uuid
from collections.abc import Callable
from typing import Any

import pytest

from infinite_scribe.domain import passages
from infinite_scribe.domain.continuity import earliest, quoted, repeated
from infinite_scribe.domain.passages import MIN_PASSAGE, Passage, folded, marks
from infinite_scribe.text.names import NameIndex, names_in
from infinite_scribe.text.reader import Known, read_chapter

WORDS = [
    *("the", "a", "ship", "moved", "slowly", "across", "river", "Mara", "looked", "back"),
    *("at", "town", "and", "said", "nothing"),
]


def _prose(size: int, seed: int = 1) -> str:
    pick = random.Random(seed)
    return " ".join(pick.choice(WORDS) for _ in range(size // 3))[:size]


def _seconds(function: Callable[[], Any]) -> tuple[float, Any]:
    """The CPU seconds this thread spent in `function`: a bound on the work (the quadratic
    shapes these tests guard took 40 s and more), not on the wall clock, which a loaded
    machine stretches tenfold (8.8 s of wall for 0.2 s of work, seen with load average 50)."""
    start = time.thread_time()
    result = function()
    return time.thread_time() - start, result


def _old_shared(text: str, other: str, same: bool = False) -> list[Passage]:
    """The search before issue 71 (cubic on periodic text), as the reference on prose."""
    flat, flat_other = folded(text), folded(other)
    mine = marks(flat)
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
                continue
            i, j = position, at
            while i > 0 and j > 0 and flat[i - 1] == flat_other[j - 1]:
                i, j = i - 1, j - 1
            length = 0
            while (
                i + length < len(flat)
                and j + length < len(flat_other)
                and flat[i + length] == flat_other[j + length]
            ):
                length += 1
            if same and i - j < length:
                continue
            if length >= MIN_PASSAGE:
                quote = flat[i : i + length].lstrip(passages._EDGES).rstrip()
                found.append(Passage(i, j, length, quote))
                covered.append((i, i + length))
                break
    return found


def _planted(seed: int) -> tuple[str, str]:
    """Two texts of prose with a few passages of one in the other (and in itself)."""
    pick = random.Random(seed)
    text, other = _prose(3_000, seed), _prose(3_000, seed + 100)
    for _ in range(4):
        start, size = pick.randrange(0, 2_800), pick.randrange(40, 200)
        at = pick.randrange(0, 2_800)
        other = other[:at] + text[start : start + size] + other[at:]
        at = pick.randrange(0, 2_800)
        text = text[:at] + text[start : start + size] + text[at:]
    return text, other


@pytest.mark.corpus
@pytest.mark.parametrize("seed", range(6))
def test_the_search_finds_what_the_old_one_found_on_prose(seed: int) -> None:
    """Against another chapter the runs are looked for, not the other's fingerprints computed
    (issue 78's cost): the passages may be cut differently, but every character of a passage
    the old search found is in one found now, and each found is shared, at least MIN_PASSAGE."""
    text, other = _planted(seed)
    found, flat, flat_other = passages.shared(text, other), folded(text), folded(other)
    for passage in found:
        assert passage.length >= MIN_PASSAGE
        end, other_end = passage.start + passage.length, passage.other_start + passage.length
        assert flat[passage.start : end] == flat_other[passage.other_start : other_end]
    for old in _old_shared(text, other):
        stretch = range(old.start, old.start + old.length)
        assert all(any(p.start <= at < p.start + p.length for p in found) for at in stretch)
    assert passages.shared(text, text, same=True) == _old_shared(text, text, same=True)


@pytest.mark.corpus
@pytest.mark.parametrize(
    ("shape", "text"),
    [
        ("periodic", "ab" * 2_000),
        ("separator line", _prose(1_500) + "\n" + "=" * 1_000 + "\n" + _prose(1_500, 2)),
        ("run of 哈", "他笑了：" + "哈" * 4_000 + "。"),
        ("run of ……", "……" * 2_000),
        (
            "shuffled blocks",
            "\n".join(_prose(120, random.Random(3).randrange(5)) for _ in range(40)),
        ),
    ],
)
def test_each_hostile_shape_is_searched_within_a_bound(shape: str, text: str) -> None:
    seconds, itself = _seconds(lambda: passages.shared(text, text, same=True))
    assert seconds < 2, (shape, seconds)  # bench: 0.02-0.07 s; 195 s before for `ab` x 2,000
    seconds, _ = _seconds(lambda: passages.shared(text, text + " x"))
    assert seconds < 2, (shape, seconds)
    for found in itself:  # a repetition never overlaps its own copy
        assert found.other_start + found.length <= found.start


@pytest.mark.corpus
def test_the_findings_of_shuffled_blocks_fold_the_chapter_once() -> None:
    """Issue 79 P6: each of a chapter's repeated passages was quoted by folding the whole chapter
    again (1,100 passages of 20,000 characters: 9 s, on the loop). The quotes are the same."""
    blocks = [_prose(52, seed) for seed in range(40)]
    pick = random.Random(7)
    chapter, other = ("\n".join(pick.choice(blocks) for _ in range(600)) for _ in range(2))
    found = passages.shared(chapter, other, False)
    repeats = [(p, 1, "e") for p in found]
    seconds, findings = _seconds(lambda: repeated(uuid.uuid4(), (2, "e2"), repeats, chapter))
    assert findings and seconds < 2, seconds  # 0.1 s here; folded per passage, 5-9 s
    flat = folded(chapter)
    assert {f["quote"] for f in findings} <= {quoted(chapter, q) for q, _, _ in earliest(repeats)}
    assert all(f["quote"] in flat for f in findings)


def test_periodic_text_repeats_its_first_half_once() -> None:
    [found] = passages.shared("ab" * 2_000, "ab" * 2_000, same=True)
    assert (found.start, found.other_start, found.length) == (2_000, 0, 2_000)


def test_the_merge_keeps_one_passage_per_stretch_as_before() -> None:
    pick = random.Random(7)
    repeats = []
    for _ in range(400):
        start, length = pick.randrange(0, 5_000), pick.randrange(50, 400)
        repeats.append((Passage(start, 0, length, f"q{start}"), pick.randrange(1, 4), "e"))
    old: list[tuple[Passage, int, str]] = []
    for repeat in sorted(repeats, key=lambda r: (r[1], r[0].start)):
        if not any(passages.same_stretch(repeat[0], k) for k, _, _ in old):
            old.append(repeat)
    assert earliest(repeats) == [(p.quote, chapter, e) for p, chapter, e in old]


def _cast(size: int) -> dict[str, str]:
    pick = random.Random(2)

    def name() -> str:
        return "".join(pick.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(7)).capitalize()

    names = {"Ilya Brandt": "Ilya Brandt", "Ilya": "Ilya Brandt"}
    while len(names) < size:
        main = f"{name()} {name()}"
        names[main] = main
        for _ in range(101):
            names[name()] = main
    return names


@pytest.mark.corpus
def test_a_huge_cast_over_a_huge_sentence_is_read_within_a_bound() -> None:
    cast = _cast(20_400)
    sentence = "Ilya was killed in the storm, " + _prose(59_000) + "."
    seconds, read = _seconds(lambda: read_chapter("en", sentence, Known(cast)))
    assert seconds < 5, seconds  # bench: 0.1-0.2 s; 42 s before
    assert ("status", "Ilya Brandt", "dead") in [
        (f["kind"], f.get("who"), f.get("value")) for f in read["facts"]
    ]
    naming = " and ".join(list(cast)[:5_000])[:59_000] + " died."
    seconds, _ = _seconds(lambda: read_chapter("en", naming, Known(cast)))
    assert seconds < 5, seconds  # bench: 0.3-0.8 s (the rules compiled for 200 names)


def test_the_name_index_finds_what_a_substring_test_finds() -> None:
    pick = random.Random(5)
    names = ["林舟", "林", "舟子", "Mara", "Mara Quinn", "ara", "Quinn", "x" * 100, "苏晚"]
    index = NameIndex(names)
    for _ in range(50):
        text = "".join(
            pick.choice(["林舟", "子", "Mara ", "Quinn", "a", " ", "苏", "晚"]) for _ in range(30)
        )
        assert set(index.present(text)) == {n for n in names if n in text}, text
        assert list(names_in(text, names)) == list(index.present(text))  # a small cast's way
    assert list(index.present("Quinn met Mara Quinn")) == ["Quinn", "Mara", "Mara Quinn", "ara"]


@pytest.mark.corpus
def test_many_open_threads_over_many_payoff_sentences_are_read_within_a_bound() -> None:
    pick = random.Random(1)
    words = ["harbour", "lantern", "storm", "doctor", "letter", "river", "sword", "ring"]
    threads = [
        (f"t{n}", " ".join(f"{pick.choice(words)}{pick.randrange(50)}" for _ in range(12)))
        for n in range(500)
    ]
    threads.append(("lamp", "Mara vowed to light the harbour lantern"))
    # 3,999 sentences: the reader reads 4,000 at most (MAX_SENTENCES).
    text = " ".join("It was finally over." for _ in range(3_999)) + (
        " At last Mara lit the harbour lantern, as she had vowed."
    )
    seconds, read = _seconds(lambda: read_chapter("en", text, Known({"Mara": "Mara"}, [], threads)))
    assert seconds < 3, seconds  # bench: 0.07 s; 28 s before
    assert [f["thread"] for f in read["facts"] if f["kind"] == "payoff"] == ["lamp"]
