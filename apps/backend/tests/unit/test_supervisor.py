"""The supervisor of `scribe up`'s embedded services (issue 21, item 11): a dead child is
restarted after a short delay, failed restarts back off exponentially up to a cap, and a
living child is left alone."""

import asyncio
import time

import pytest

from infinite_scribe.embedded import supervisor
from infinite_scribe.embedded.supervisor import Child, Supervisor


class Flaky:
    """A child that is dead until its restart has succeeded after `failures` failed attempts."""

    def __init__(self, failures: int) -> None:
        self.failures = failures
        self.up = False
        self.attempts: list[float] = []
        self.restarted = asyncio.Event()

    def alive(self) -> bool:
        return self.up

    async def restart(self) -> None:
        self.attempts.append(time.monotonic())
        if len(self.attempts) <= self.failures:
            raise RuntimeError(f"attempt {len(self.attempts)} failed")
        self.up = True
        self.restarted.set()


async def test_restarts_with_backoff_until_it_stays_up(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(supervisor, "FIRST_BACKOFF_SECONDS", 0.05)
    monkeypatch.setattr(supervisor, "MAX_BACKOFF_SECONDS", 0.2)
    flaky, steady = Flaky(failures=4), Flaky(failures=0)
    steady.up = True
    children = [
        Child("flaky", flaky.alive, flaky.restart),
        Child("steady", steady.alive, steady.restart),
    ]
    stop = asyncio.Event()
    task = asyncio.create_task(Supervisor(children, interval=0.01).run(stop))
    try:
        await asyncio.wait_for(flaky.restarted.wait(), 10)
    finally:
        stop.set()
        await task
    assert len(flaky.attempts) == 5 and steady.attempts == []
    gaps = [
        later - earlier for earlier, later in zip(flaky.attempts, flaky.attempts[1:], strict=False)
    ]
    # 0.1, 0.2 (capped), 0.2, 0.2 after the failures: doubling, then the cap.
    assert gaps[0] >= 0.1 and all(gap >= 0.2 for gap in gaps[1:]), gaps
    assert all(gap < 1.0 for gap in gaps), gaps
    assert children[0].restarts == 1 and children[0].failures == 0
