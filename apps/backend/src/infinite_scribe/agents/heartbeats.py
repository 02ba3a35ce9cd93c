"""One heartbeat for every generation of the process: the tasks running here are touched in
one statement per interval (the re-drive sweeper leaves them alone), instead of one write per
task per interval."""

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

    async def beat(self) -> None:
        """Touch the tasks running here (every `interval`, as the worker runs it)."""
        if self._running:
            await self.touch(list(self._running))
