"""Clocks the tests advance (issue 52): no unit test waits on the wall clock.

The code reads time from the event loop (`loop.time()`, `call_later`, `asyncio.sleep`,
`wait_for`) or from `time.time()` / `datetime.now()`. Under `loop_clock` the running loop's time
is looptime's: when every task waits, the loop jumps to its next timer at once, so a 2-second
backoff takes no wall time and the test still sees 2 seconds pass on the loop. For the wall-clock
reads (a token's expiry) the tests use time-machine's `time_machine` fixture.
"""

import asyncio
from collections.abc import AsyncIterator

import looptime
import pytest_asyncio


@pytest_asyncio.fixture
async def loop_clock() -> AsyncIterator[asyncio.AbstractEventLoop]:
    """The test's running loop on a fake clock that starts where the real one stands (so no
    time already handed out goes backwards) and advances only by what the tasks wait for."""
    loop = asyncio.get_running_loop()
    assert isinstance(loop, asyncio.BaseEventLoop)
    fake = looptime.patch_event_loop(loop, start=loop.time(), _enabled=False)
    with fake.looptime_enabled():
        yield loop
