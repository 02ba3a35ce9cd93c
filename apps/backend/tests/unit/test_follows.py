"""Which generations someone follows (agents/follows.py, decision 4002): read for the sessions
generating here that have a draft to send, in one call for those that ask together, again
while they run; nothing is read when nothing asks."""

import asyncio
from collections.abc import Collection

import pytest

from infinite_scribe.agents.follows import REFRESH_SECONDS, Follows

#: On the loop's fake clock (tests/support/clock.py): the waits take no wall time.
pytestmark = pytest.mark.usefixtures("loop_clock")


class Table:
    def __init__(self, followed: set[str]) -> None:
        self.followed = followed
        self.reads: list[set[str]] = []

    async def read(self, sessions: Collection[str]) -> set[str]:
        self.reads.append(set(sessions))
        return self.followed & set(sessions)


async def test_generations_asking_together_share_one_read_and_see_their_follows() -> None:
    table = Table({"a"})
    follows, stop = Follows(table.read), asyncio.Event()
    runner = asyncio.create_task(follows.run(stop))
    with follows.watching("a"), follows.watching("b"), follows.watching("quiet"):
        await asyncio.sleep(0.1)
        assert table.reads == []  # nobody has a draft yet: nothing read
        assert not follows.is_followed("a") and not follows.is_followed("b")  # unknown yet
        await asyncio.sleep(0.1)
        assert table.reads == [{"a", "b"}]  # the quiet one is never read
        assert follows.is_followed("a") and not follows.is_followed("b")
        table.followed.add("b")  # a writer opens b's stream mid-generation
        await asyncio.sleep(REFRESH_SECONDS + 0.1)
        assert follows.is_followed("b")
    assert not follows.is_followed("a")  # done here: forgotten
    reads = len(table.reads)
    await asyncio.sleep(REFRESH_SECONDS + 0.1)
    assert len(table.reads) == reads  # nothing runs: nothing read
    stop.set()
    await runner


async def test_without_a_table_everyone_counts_as_followed() -> None:
    follows = Follows(None)
    assert follows.is_followed("anything")
    await follows.run(asyncio.Event())  # returns at once


async def test_a_session_found_followed_is_poked_once_until_undone() -> None:
    table = Table({"a"})
    follows, stop = Follows(table.read), asyncio.Event()
    pokes: list[str] = []
    undo = follows.on_followed("a", lambda: pokes.append("a"))
    runner = asyncio.create_task(follows.run(stop))
    with follows.watching("a"):
        assert not follows.is_followed("a")  # asks
        await asyncio.sleep(REFRESH_SECONDS + 0.2)  # a second read: still followed, no poke
        assert pokes == ["a"]
        undo()
        undo()  # twice is harmless
    stop.set()
    await runner
