"""One heartbeat for every generation of the process: the tasks running here are touched in
one statement per interval (the re-drive sweeper leaves them alone), instead of one write per
task per interval."""

import asyncio
import contextlib
import logging
from collections import Counter
from collections.abc import Awaitable, Callable, Iterator
from uuid import UUID

logger = logging.getLogger(__name__)


class Heartbeats:
    def __init__(self, touch: Callable[[list[UUID]], Awaitable[None]], interval: float) -> None:
        self.touch = touch
        self.interval = interval
        # A count, not a set: a redelivered request may run twice here for a while.
        self._running: Counter[UUID] = Counter()

    @contextlib.contextmanager
    def running(self, task_id: UUID) -> Iterator[None]:
        self._running[task_id] += 1
        try:
            yield
        finally:
            self._running[task_id] -= 1
            if self._running[task_id] <= 0:
                del self._running[task_id]

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), self.interval)
            if self._running and not stop.is_set():
                try:
                    await self.touch(list(self._running))
                except Exception as error:  # the next beat tries again
                    logger.warning("heartbeat failed: %s", error)
