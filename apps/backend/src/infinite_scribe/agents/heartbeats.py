"""One heartbeat for every generation of the process: the tasks running here are touched in
one statement per interval (the re-drive sweeper leaves them alone), instead of one write per
task per interval. Also what a running task says meanwhile (`say`, issue 79): which attempt it
is on and why the last failed, or what it waits for; written at once, in one statement for
what gathered while the previous write ran (they are rare: a retry, a pause)."""

import asyncio
import contextlib
import logging
from collections import Counter
from collections.abc import Awaitable, Callable, Iterator, Mapping
from uuid import UUID

logger = logging.getLogger(__name__)


class Heartbeats:
    def __init__(
        self,
        touch: Callable[[list[UUID]], Awaitable[None]],
        interval: float,
        tell: Callable[[Mapping[UUID, str]], Awaitable[None]] | None = None,
    ) -> None:
        self.touch = touch
        self.tell = tell
        self.interval = interval
        # A count, not a set: a redelivered request may run twice here for a while.
        self._running: Counter[UUID] = Counter()
        self._said: dict[UUID, str] = {}
        self._telling: asyncio.Task[None] | None = None

    @contextlib.contextmanager
    def running(self, task_id: UUID) -> Iterator[None]:
        self._running[task_id] += 1
        try:
            yield
        finally:
            self._running[task_id] -= 1
            if self._running[task_id] <= 0:
                del self._running[task_id]

    def say(self, task_id: UUID, message: str) -> None:
        """`message` becomes the running task's (fire and forget: a failed write is logged)."""
        if self.tell is None:
            return
        self._said[task_id] = message
        if self._telling is None or self._telling.done():
            self._telling = asyncio.get_running_loop().create_task(self._tell())

    async def _tell(self) -> None:
        assert self.tell is not None
        while self._said:
            said, self._said = self._said, {}
            try:
                await self.tell(said)
            except Exception as error:  # a message is news, not state: the next one may pass
                logger.warning("task messages not written: %r", error)

    async def beat(self) -> None:
        """Touch the tasks running here (every `interval`, as the worker runs it)."""
        if self._running:
            await self.touch(list(self._running))
