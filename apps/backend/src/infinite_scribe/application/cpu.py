"""CPU-heavy work off the shared event loop, bounded (the house rule; issue 41 E1, issue 37): a
novel's EPUB and Markdown, the console's bible page and a session's history diffs run in a worker
thread, at most `per_user` at once for one writer and `total` for the process. One more is
refused at once (429 `TOO_MANY_RENDERS` for the writer's own, 503 `SERVER_BUSY` when the process
is full), with `Retry-After`, rather than queued: a queue would let one writer's exports delay
everybody's.

A 1.7 MB bible took 23 s of CPU to render as an EPUB on the loop: every request of the process
(and, in `scribe up`, the relay and the worker sharing it) waited. The counts need no lock: they
change on the loop, with no await between the check and the change. A cancelled request keeps
its slot until its thread ends, so the bound holds for the CPU, not just for the requests.
"""

import asyncio
from collections import Counter
from collections.abc import Callable
from typing import TypeVar
from uuid import UUID

from infinite_scribe.domain.errors import RendersBusy, TooManyRenders

T = TypeVar("T")

#: Heavy requests one writer may have running (a second tab waits for the first: 429).
PER_USER = 1
#: Heavy requests in the process: the machine's cores are for the other requests too.
TOTAL = 2
RETRY_AFTER_SECONDS = 5


class CpuGate:
    """Runs a pure function in a thread, at most `per_user` per writer and `total` in all."""

    def __init__(self, total: int = TOTAL, per_user: int = PER_USER) -> None:
        self.total = total
        self.per_user = per_user
        self._running: Counter[UUID] = Counter()

    async def run(self, user_id: UUID, function: Callable[..., T], *args: object) -> T:
        """`function(*args)`, computed in a worker thread; TooManyRenders / RendersBusy when a
        bound is reached (nothing was started)."""
        if self._running[user_id] >= self.per_user:
            raise TooManyRenders(self.per_user, RETRY_AFTER_SECONDS)
        if self._running.total() >= self.total:
            raise RendersBusy(RETRY_AFTER_SECONDS)
        self._running[user_id] += 1
        work = asyncio.ensure_future(asyncio.to_thread(function, *args))
        # The slot is given back when the thread ends, also when the request was cancelled
        # meanwhile (a thread cannot be stopped: it still holds its core).
        work.add_done_callback(lambda _: self._release(user_id))
        return await asyncio.shield(work)

    def _release(self, user_id: UUID) -> None:
        self._running[user_id] -= 1
        if not self._running[user_id]:
            del self._running[user_id]
