"""CPU-heavy work off the shared event loop, bounded (the house rule): in a worker thread,
at most `total` at once for the process and `per_user` at once for one writer (a writer past
theirs gets 429 at once instead of queueing ahead of everybody else)."""

import asyncio
from collections import Counter
from collections.abc import Callable
from typing import TypeVar
from uuid import UUID

from infinite_scribe.domain.errors import Busy

T = TypeVar("T")


class CpuGate:
    """Runs a pure function in a thread under the two bounds."""

    def __init__(self, total: int = 2, per_user: int = 2) -> None:
        self._slots = asyncio.Semaphore(total)
        self._per_user = per_user
        self._running: Counter[UUID] = Counter()

    async def run(self, user_id: UUID, function: Callable[..., T], *args: object) -> T:
        if self._running[user_id] >= self._per_user:
            raise Busy("Too many history requests at once; try again when one has answered")
        self._running[user_id] += 1
        try:
            async with self._slots:
                return await asyncio.to_thread(function, *args)
        finally:
            self._running[user_id] -= 1
            if not self._running[user_id]:
                del self._running[user_id]
