"""The notifier's coalescing: one NOTIFY in flight, exactly one more for every commit that
landed meanwhile, none lost, none when nothing committed."""

import asyncio
from typing import Any

import asyncpg

from infinite_scribe.persistence.outbox.notifier import OutboxNotifier


class GatedPool:
    """Stands in for the pool's `execute` only: each NOTIFY waits until the test opens the gate."""

    def __init__(self) -> None:
        self.gate = asyncio.Event()
        self.calls = 0
        self.fail = False

    async def execute(self, *_args: Any) -> str:
        self.calls += 1
        await self.gate.wait()
        if self.fail:
            raise asyncpg.InterfaceError("connection lost")
        return "SELECT 1"


async def test_commits_during_a_notify_cost_exactly_one_more() -> None:
    pool = GatedPool()
    notifier = OutboxNotifier(pool)  # type: ignore[arg-type]
    notifier.committed()
    await asyncio.sleep(0)
    assert pool.calls == 1  # the first commit's NOTIFY is on its way (blocked)
    for _ in range(10):
        notifier.committed()  # ten commits while it is in flight
    pool.gate.set()
    await notifier.idle()
    assert (pool.calls, notifier.sent) == (2, 2)
    notifier.committed()  # a later commit gets its own
    await notifier.idle()
    assert (pool.calls, notifier.sent) == (3, 3)
    await notifier.idle()
    assert pool.calls == 3  # nothing committed, nothing sent


async def test_a_failed_notify_is_dropped_and_the_next_commit_notifies_again() -> None:
    pool = GatedPool()
    pool.fail = True
    pool.gate.set()
    notifier = OutboxNotifier(pool)  # type: ignore[arg-type]
    notifier.committed()
    await notifier.idle()
    assert (pool.calls, notifier.sent) == (1, 0)
    pool.fail = False
    notifier.committed()
    await notifier.idle()
    assert (pool.calls, notifier.sent) == (2, 1)


async def test_no_dedicated_connection_falls_back_to_the_pool() -> None:
    pool = GatedPool()
    pool.gate.set()
    # Nothing listens on port 1: the dedicated connection cannot be opened.
    notifier = OutboxNotifier(pool, "postgresql://postgres@127.0.0.1:1/none")  # type: ignore[arg-type]
    notifier.committed()
    await notifier.idle()
    assert (pool.calls, notifier.sent) == (1, 1)
    await notifier.close()
