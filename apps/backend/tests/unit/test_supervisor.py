"""The supervisor of `scribe up`'s embedded services (issue 21, item 11): a dead child is
restarted after a short delay, failed restarts back off exponentially up to a cap, and a
living child is left alone."""

import asyncio
import itertools

import pytest

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
        self.attempts.append(asyncio.get_running_loop().time())
        if len(self.attempts) <= self.failures:
            raise RuntimeError(f"attempt {len(self.attempts)} failed")
        self.up = True
        self.restarted.set()


@pytest.mark.usefixtures("loop_clock")
async def test_restarts_with_backoff_until_it_stays_up() -> None:
    flaky, steady = Flaky(failures=7), Flaky(failures=0)
    steady.up = True
    children = [
        Child("flaky", flaky.alive, flaky.restart),
        Child("steady", steady.alive, steady.restart),
    ]
    stop = asyncio.Event()
    task = asyncio.create_task(Supervisor(children, interval=0.25).run(stop))
    try:
        await asyncio.wait_for(flaky.restarted.wait(), 300)  # on the loop's clock
    finally:
        stop.set()
        await task
    assert len(flaky.attempts) == 8 and steady.attempts == []
    gaps = [later - earlier for earlier, later in itertools.pairwise(flaky.attempts)]
    # After each failure: 0.5 s doubled per failure, capped at 30 s (each within one check).
    # The fake clock starts where the real one stands (thousands of seconds): a difference of
    # two of its times may fall a rounding error short (7.999999999999886 for 8, once in CI).
    expected = [1.0, 2.0, 4.0, 8.0, 16.0, 30.0, 30.0]
    within = [want - 1e-6 <= gap <= want + 0.25 for gap, want in zip(gaps, expected, strict=True)]
    assert all(within), gaps
    assert children[0].restarts == 1 and children[0].failures == 0
