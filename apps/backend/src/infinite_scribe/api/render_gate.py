"""CPU-heavy renders (a novel's EPUB and Markdown, the console's bible page) run off the event
loop, a bounded number at a time (issue 41, E1).

A 1.7 MB bible took 23 s of CPU to render as an EPUB, on the loop: every request of the process
(and, in `scribe up`, the relay and the worker sharing it) waited. Now a render runs in a worker
thread, at most `per_user` per writer and `total` in the process; one more is refused at once
(429 `TOO_MANY_RENDERS` for the writer's own, 503 `SERVER_BUSY` when the process is full), with
`Retry-After`. The counts need no lock: they change on the loop, with no await between the check
and the change. A cancelled request (the deadline) keeps its slot until its thread ends, so the
bound holds for the CPU, not just for the requests.
"""

from collections.abc import Callable
from typing import TypeVar
from uuid import UUID

import anyio.to_thread

from infinite_scribe.domain.errors import RendersBusy, TooManyRenders

T = TypeVar("T")

#: Renders one writer may have running (a second tab waits for the first: 429).
RENDERS_PER_USER = 1
#: Renders in the process: the machine's cores are for requests too.
RENDERS_TOTAL = 2
RETRY_AFTER_SECONDS = 5


class RenderGate:
    """Runs renders in threads, at most `per_user` per user and `total` in all."""

    def __init__(self, per_user: int = RENDERS_PER_USER, total: int = RENDERS_TOTAL) -> None:
        self.per_user = per_user
        self.total = total
        self._running: dict[UUID, int] = {}
        self._all = 0

    async def run(self, user_id: UUID, render: Callable[[], T]) -> T:
        """`render()`'s value, computed in a worker thread; TooManyRenders / RendersBusy when
        the bound is reached (nothing was started)."""
        mine = self._running.get(user_id, 0)
        if mine >= self.per_user:
            raise TooManyRenders(self.per_user, RETRY_AFTER_SECONDS)
        if self._all >= self.total:
            raise RendersBusy(RETRY_AFTER_SECONDS)
        self._running[user_id] = mine + 1
        self._all += 1
        try:
            return await anyio.to_thread.run_sync(render)
        finally:
            self._all -= 1
            left = self._running[user_id] - 1
            if left:
                self._running[user_id] = left
            else:
                del self._running[user_id]
