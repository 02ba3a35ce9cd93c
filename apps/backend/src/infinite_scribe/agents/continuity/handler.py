"""The continuity consumer in the agent worker (issue 48): a confirmed chapter, a rollback of
the chapters or a waiver in, the story memory's events and projection out
(application/continuity.py). Its reads and its CPU work (the reader, the passage search) run
on a small pool of threads of its own (`CheckThreads`): a check never holds the event loop, one
novel's check never waits for another's to end (issue 71: one lock served every novel), and the
interpreter's lock keeps them all to one core beside the generations.
"""

import asyncio
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from infinite_scribe.agents.attempts import received
from infinite_scribe.agents.metrics import AgentMetrics
from infinite_scribe.application.continuity import ContinuityWork, is_continuity_event
from infinite_scribe.kafka.consumer import Delivery

T = TypeVar("T")


def is_continuity_delivery(delivery: Delivery) -> bool:
    return is_continuity_event(delivery.header("ce_type"))


#: Checks whose CPU work runs at once: the pieces of different novels' checks interleave
#: (first come, first served), so a long check slows a short one down, never holds it.
CHECK_THREADS = 4


class CheckThreads:
    """Runs the checks' CPU work on `size` threads of their own, no lock between novels (a
    check's order is its novel's: the consumer handles one novel's events in order)."""

    def __init__(self, size: int = CHECK_THREADS) -> None:
        self._pool = ThreadPoolExecutor(size, thread_name_prefix="continuity")

    async def __call__(self, function: Callable[..., T], *args: Any) -> T:
        return await asyncio.get_running_loop().run_in_executor(self._pool, function, *args)

    def close(self) -> None:
        """Drop the work not started (a stopped worker's checks are re-driven, issue 71)."""
        self._pool.shutdown(wait=False, cancel_futures=True)


class ContinuityHandler:
    """Handles one continuity event; called concurrently for different novels."""

    def __init__(self, work: ContinuityWork, metrics: AgentMetrics) -> None:
        self.work = work
        self.metrics = metrics

    async def __call__(self, delivery: Delivery) -> None:
        with received(delivery, self.work.consumer) as event:
            checked = await self.work.handle(event)
        self.metrics.continuity.labels("checked" if checked else "skipped").inc()
