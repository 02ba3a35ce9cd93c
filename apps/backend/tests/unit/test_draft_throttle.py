"""Drafts of one generation: the first at once, then at most one per interval, always the
newest text, nothing after the generation ended. The intervals are exact on the loop's clock."""

import asyncio
import itertools
from collections.abc import Callable
from typing import Any

import pytest

from infinite_scribe.agents.drafts import DraftThrottle

#: On the loop's fake clock (tests/support/clock.py): a sleep advances the loop, not the wall.
pytestmark = pytest.mark.usefixtures("loop_clock")


def _text(text: str) -> Callable[[], str]:
    return lambda: text


class Recorder:
    """What a throttle sent: (its number from the throttle's first, 1-based; the text; when)."""

    def __init__(self, floor: int | None = None) -> None:
        self.sent: list[tuple[int, str, float]] = []
        self.numbers: list[int] = []
        self.floor = floor

    def publish(self, session_id: str, task_id: str, sequence: int, body: dict[str, Any]) -> None:
        self.numbers.append(sequence)
        floor = self.floor = self.floor if self.floor is not None else sequence - 1
        self.sent.append((sequence - floor, body["text"], asyncio.get_running_loop().time()))


async def test_first_at_once_then_the_newest_per_interval() -> None:
    sink = Recorder()
    throttle = DraftThrottle(sink, "s", "t", "CONCEPT_SELECTION", interval=0.1)
    start = asyncio.get_running_loop().time()
    throttle(_text("a"))
    assert [text for _, text, _ in sink.sent] == ["a"]
    for text in ("ab", "abc", "abcd"):
        throttle(_text(text))
    assert len(sink.sent) == 1  # held back: the interval has not passed
    await asyncio.sleep(0.15)
    assert [(seq, text) for seq, text, _ in sink.sent] == [(1, "a"), (2, "abcd")]
    assert sink.sent[1][2] - start == pytest.approx(0.1)
    throttle(_text("abcde"))
    throttle.close()
    await asyncio.sleep(0.15)
    assert len(sink.sent) == 2  # nothing goes out once the generation is over


async def test_a_later_attempt_numbers_its_drafts_after_the_earlier_ones() -> None:
    """The live stream drops a draft numbered at or below the last it sent for the task: the
    task's second attempt (a new throttle) must number after the first's."""
    sink = Recorder()
    first = DraftThrottle(sink, "s", "t", "CONCEPT_SELECTION", interval=0.1)
    for text in ("a", "ab"):
        first(_text(text))
        await asyncio.sleep(0.15)
    first.close()
    second = DraftThrottle(sink, "s", "t", "CONCEPT_SELECTION", interval=0.1)
    second(_text("b"))
    second.close()
    assert len(sink.numbers) == 3 and sink.numbers == sorted(set(sink.numbers))


async def test_at_most_about_five_a_second() -> None:
    sink = Recorder()
    throttle = DraftThrottle(sink, "s", "t", "CONCEPT_SELECTION", interval=0.2)
    for n in range(100):  # a chunk every 10 ms for a second
        throttle(_text("x" * n))
        await asyncio.sleep(0.01)
    throttle.close()
    times = [at for _, _, at in sink.sent]
    assert len(times) >= 3
    assert all(later - earlier >= 0.2 - 1e-6 for earlier, later in itertools.pairwise(times))
    assert [seq for seq, _, _ in sink.sent] == list(range(1, len(sink.sent) + 1))


async def test_nothing_goes_out_while_nobody_follows_then_the_text_so_far() -> None:
    # Decision 4002: drafts only for followed streams; the text waits, nothing is lost.
    sink, followed = Recorder(), [False]
    throttle = DraftThrottle(sink, "s", "t", "X", interval=0.05, followed=lambda: followed[0])
    for text in ("a", "ab", "abc"):
        throttle(_text(text))
        await asyncio.sleep(0.06)
    assert sink.sent == []
    followed[0] = True
    throttle(_text("abcd"))
    assert [(seq, text) for seq, text, _ in sink.sent] == [(1, "abcd")]


async def test_flush_sends_the_final_text_at_once() -> None:
    sink = Recorder()
    throttle = DraftThrottle(sink, "s", "t", "X", interval=10.0)
    throttle(_text("a"))
    throttle(_text("ab"))  # held: the interval is long
    throttle.flush()
    throttle.close()
    assert [text for _, text, _ in sink.sent] == ["a", "ab"]
    throttle.flush()  # nothing pending: nothing more
    assert len(sink.sent) == 2


async def test_a_poke_sends_the_held_text_and_close_undoes_the_registration() -> None:
    sink, followed, undone = Recorder(), [False], []
    throttle = DraftThrottle(sink, "s", "t", "X", interval=10.0, followed=lambda: followed[0])
    throttle.on_close = lambda: undone.append(True)
    throttle(_text("held"))
    throttle.poke()
    assert sink.sent == []  # still nobody
    followed[0] = True
    throttle.poke()
    assert [text for _, text, _ in sink.sent] == ["held"]
    throttle.close()
    throttle.close()
    assert undone == [True]


async def test_the_text_is_built_only_for_a_draft_sent() -> None:
    # Issue 79: a 10 MB reply in 1 KB chunks was joined at every chunk; now a chunk hands a
    # way to build the text, and only what goes out is built (at most one per interval).
    sink, built = Recorder(), [0]

    def text() -> str:
        built[0] += 1
        return "so far"

    throttle = DraftThrottle(sink, "s", "t", "X", interval=0.2)
    for _ in range(1000):  # a chunk every millisecond for a second
        throttle(text)
        await asyncio.sleep(0.001)
    throttle.flush()
    throttle.close()
    assert built[0] == len(sink.sent) <= 7
