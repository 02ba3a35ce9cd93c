"""Cancelling a generation the writer no longer wants, within a second.

Confirming a stage, abandoning or finishing a session, and the writer's CancelGeneration
(decision 4003) cancel its unfinished tasks in the command's transaction (trashing does not:
decisions 0810, 2803); the event it writes reaches the worker on the session's partition (same
key). A novel's chapter draft or revision is stopped the same way (issue 77): CancelGeneration
on the novel, or confirming the chapter being written, on the novel's partition. The consumer
shows every message to `peek` on arrival, before it waits behind the session's running
request, so the generation hears of it at once; the handler then checks the task really is
cancelled and stops the model call.
"""

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, Coroutine, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from infinite_scribe.domain.chapters import CONFIRMED as CHAPTER_CONFIRMED, DRAFT_CANCELLED
from infinite_scribe.domain.genesis import (
    ABANDONED,
    FINISHED,
    GENERATION_CANCELLED,
    STAGE_CONFIRMED,
)
from infinite_scribe.kafka.consumer import Delivery

#: Events whose command cancels the session's (or the novel's) unfinished tasks.
CANCELLING_EVENTS = frozenset(
    {STAGE_CONFIRMED, ABANDONED, FINISHED, GENERATION_CANCELLED, DRAFT_CANCELLED, CHAPTER_CONFIRMED}
)

T = TypeVar("T")


class Cancelled(Exception):
    """The task was cancelled while its model call ran (the call is stopped)."""


class Cancellations:
    """The generations running in this process, by session, and who to tell."""

    def __init__(self) -> None:
        self._running: dict[str, set[asyncio.Event]] = {}

    @contextmanager
    def watch(self, session_id: str) -> Iterator[asyncio.Event]:
        """An Event set when a cancelling event of the session arrives."""
        event = asyncio.Event()
        self._running.setdefault(session_id, set()).add(event)
        try:
            yield event
        finally:
            watchers = self._running.get(session_id)
            if watchers is not None:
                watchers.discard(event)
                if not watchers:
                    del self._running[session_id]

    def peek(self, delivery: Delivery) -> None:
        """The consumer's `peek`: called on the event loop for every message on arrival."""
        if delivery.key is None or delivery.header("ce_type") not in CANCELLING_EVENTS:
            return
        for event in self._running.get(delivery.key.decode("utf-8", "replace"), ()):
            event.set()


async def unless_cancelled(
    work: Coroutine[Any, Any, T],
    cancelled: asyncio.Event,
    still_wanted: Callable[[], Awaitable[bool]],
) -> T:
    """`work`'s result; Cancelled, with `work` cancelled (its model call's HTTP stream closed,
    so the engine stops writing), once a cancelling event came and the task is indeed no
    longer wanted (an event that cancels another chapter's task leaves this one running)."""
    call = asyncio.create_task(work)
    try:
        while True:
            waiter = asyncio.create_task(cancelled.wait())
            await asyncio.wait({call, waiter}, return_when=asyncio.FIRST_COMPLETED)
            waiter.cancel()
            if call.done():
                return call.result()
            cancelled.clear()
            if not await still_wanted():
                raise Cancelled
    finally:
        if not call.done():
            call.cancel()
            with contextlib.suppress(BaseException):
                await call
