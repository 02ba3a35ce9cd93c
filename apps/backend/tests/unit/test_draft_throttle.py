"""Drafts of one generation: the first at once, then at most one per interval, always the
newest text, nothing after the generation ended."""

import asyncio
import itertools
from typing import Any

from infinite_scribe.agents.drafts import DraftThrottle


class Recorder:
    def __init__(self) -> None:
        self.sent: list[tuple[int, str, float]] = []

    def publish(self, session_id: str, task_id: str, sequence: int, body: dict[str, Any]) -> None:
        self.sent.append((sequence, body["text"], asyncio.get_running_loop().time()))


async def test_first_at_once_then_the_newest_per_interval() -> None:
    sink = Recorder()
    throttle = DraftThrottle(sink, "s", "t", "CONCEPT_SELECTION", interval=0.1)
    start = asyncio.get_running_loop().time()
    throttle("a")
    assert [text for _, text, _ in sink.sent] == ["a"]
    for text in ("ab", "abc", "abcd"):
        throttle(text)
    assert len(sink.sent) == 1  # held back: the interval has not passed
    await asyncio.sleep(0.15)
    assert [(seq, text) for seq, text, _ in sink.sent] == [(1, "a"), (2, "abcd")]
    assert sink.sent[1][2] - start >= 0.09
    throttle("abcde")
    throttle.close()
    await asyncio.sleep(0.15)
    assert len(sink.sent) == 2  # nothing goes out once the generation is over


async def test_at_most_about_five_a_second() -> None:
    sink = Recorder()
    throttle = DraftThrottle(sink, "s", "t", "CONCEPT_SELECTION", interval=0.2)
    for n in range(100):  # a chunk every 10 ms for a second
        throttle("x" * n)
        await asyncio.sleep(0.01)
    throttle.close()
    times = [at for _, _, at in sink.sent]
    assert len(times) >= 3
    assert all(later - earlier >= 0.19 for earlier, later in itertools.pairwise(times))
    assert [seq for seq, _, _ in sink.sent] == list(range(1, len(sink.sent) + 1))
