"""The continuity consumer in the agent worker (issue 48): a confirmed chapter, a rollback of
the chapters or a waiver in, the story memory's events and projection out
(application/continuity.py).

A check is derived work: the consumer hands it to the novel's own queue (`NovelChecks`) and
goes on (issue 71: the key-ordered consumer held everything of the novel behind it); a chapter
request waits for its novel's queued checks SETTLE_SECONDS at most, so its brief reads the
memory of the chapters confirmed before it, never a check without end. Checks run in each
novel's order; a check the worker drops (a stop, a crash) is published again by the re-drive
(agents/continuity/redrive.py) from the log.

Its reads and its CPU work (the reader, the passage search) run on a small pool of threads
of its own (`CheckThreads`): a check never holds the event loop, one novel's check never waits
for another's to end (issue 71: one lock served every novel), and the interpreter's lock keeps
them all to one core beside the generations.
"""

import asyncio
import contextlib
import logging
from collections import deque
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from infinite_scribe.agents.attempts import received
from infinite_scribe.agents.metrics import AgentMetrics
from infinite_scribe.application.continuity import ContinuityWork
from infinite_scribe.kafka.consumer import Delivery
from shared_types import EventEnvelope

T = TypeVar("T")
logger = logging.getLogger(__name__)
#: Checks waiting in all novels' queues at most: past it the consumer waits (back-pressure).
MAX_WAITING = 1_000
#: How long a novel's chapter request waits for the novel's checks queued before it, so its
#: brief reads the memory of the chapters confirmed before it (a check is ~1 s, decision 7100);
#: past it the draft starts with the memory as it is.
SETTLE_SECONDS = 10.0


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


class NovelChecks:
    """Each novel's checks in its order, on a task of its own per novel with checks waiting;
    at most `max_waiting` in all (`put` waits for room)."""

    def __init__(
        self,
        work: ContinuityWork,
        metrics: AgentMetrics,
        is_transient: Callable[[BaseException], bool],
        max_waiting: int = MAX_WAITING,
    ) -> None:
        self.work = work
        self.metrics = metrics
        self.is_transient = is_transient
        self._room = asyncio.Semaphore(max_waiting)
        self._queues: dict[str, deque[EventEnvelope]] = {}
        self._tasks: dict[str, asyncio.Task[None]] = {}

    @property
    def waiting(self) -> int:
        return sum(len(queue) for queue in self._queues.values())

    async def settled(self, novel: str, within: float = SETTLE_SECONDS) -> bool:
        """Wait (at most `within` s) until the checks queued for `novel` are done; whether
        they are."""
        task = self._tasks.get(novel)
        if task is None:
            return True
        done, _ = await asyncio.wait({task}, timeout=within)
        return bool(done)

    async def put(self, event: EventEnvelope) -> None:
        await self._room.acquire()
        self._queues.setdefault(event.aggregate_id, deque()).append(event)
        if event.aggregate_id not in self._tasks:
            task = asyncio.create_task(self._run(event.aggregate_id))
            self._tasks[event.aggregate_id] = task

    async def _run(self, novel: str) -> None:
        try:
            queue = self._queues[novel]
            while queue:
                event = queue.popleft()
                try:
                    outcome = await self._check(event)
                    self.metrics.continuity.labels(outcome).inc()
                finally:
                    self._room.release()
        finally:
            self._queues.pop(novel, None)
            self._tasks.pop(novel, None)

    async def _check(self, event: EventEnvelope) -> str:
        """The check's outcome; our own infrastructure's failures (the database down) are
        retried until they pass, as the consumer does."""
        while True:
            try:
                return "checked" if await self.work.handle(event) else "skipped"
            except Exception as error:
                if not self.is_transient(error):  # the re-drive publishes it again
                    logger.exception("continuity check of %s failed", event.event_id)
                    return "failed"
                logger.warning("continuity check of %s: %s; retrying", event.event_id, error)
                await asyncio.sleep(1.0)

    async def close(self) -> None:
        """Stop every novel's checks (what is dropped is re-driven after the restart)."""
        tasks = list(self._tasks.values())
        for task in tasks:
            task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.gather(*tasks, return_exceptions=True)


class ContinuityHandler:
    """Hands each continuity event to its novel's queue; called concurrently for novels."""

    def __init__(self, checks: NovelChecks) -> None:
        self.checks = checks

    async def __call__(self, delivery: Delivery) -> None:
        with received(delivery, self.checks.work.consumer) as event:
            await self.checks.put(event)
