"""The continuity consumer in the agent worker (issue 48): a confirmed chapter, a rollback of
the chapters or a waiver in, the story memory's events and projection out
(application/continuity.py). Its reads and its CPU work (the reader, the passage search) run
in a thread, one check at a time per worker: a check never holds the event loop, and never
takes more than one core from the generations beside it.
"""

import asyncio
from collections.abc import Callable
from typing import Any, TypeVar

from infinite_scribe.agents.attempts import received
from infinite_scribe.agents.metrics import AgentMetrics
from infinite_scribe.application.continuity import ContinuityWork
from infinite_scribe.kafka.consumer import Delivery

T = TypeVar("T")


class OneCore:
    """Runs CPU work in a thread, one piece at a time (the checks of all novels share it)."""

    def __init__(self) -> None:
        self._lock = asyncio.Lock()

    async def __call__(self, function: Callable[..., T], *args: Any) -> T:
        async with self._lock:
            return await asyncio.to_thread(function, *args)


class ContinuityHandler:
    """Handles one continuity event; called concurrently for different novels."""

    def __init__(self, work: ContinuityWork, metrics: AgentMetrics) -> None:
        self.work = work
        self.metrics = metrics

    async def __call__(self, delivery: Delivery) -> None:
        with received(delivery, self.work.consumer) as event:
            checked = await self.work.handle(event)
        self.metrics.continuity.labels("checked" if checked else "skipped").inc()
