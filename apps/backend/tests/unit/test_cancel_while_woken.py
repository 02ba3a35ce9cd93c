"""A task cancelled in the same loop turn as its wake-up must still end (Python 3.11's
`asyncio.wait_for` returned the inner result then and lost the cancellation: the stream hub
of an API under load never stopped, so the API never shut down)."""

import asyncio

import pytest

from infinite_scribe.persistence.outbox.slot_stream import Part, SlotStream
from infinite_scribe.persistence.stream.event_feed import PostgresEventFeed


async def test_the_feed_wait_ends_when_cancelled_as_it_is_woken() -> None:
    feed = PostgresEventFeed("postgresql://unused", pool=None, gap_timeout=1.0)  # type: ignore[arg-type]
    waiting = asyncio.create_task(feed.wait(30))
    await asyncio.sleep(0)  # the task now waits for the wake-up
    feed._notice(None, 0, "outbox", "")  # a NOTIFY arrives ...
    waiting.cancel()  # ... in the same turn as the hub's cancellation
    with pytest.raises(asyncio.CancelledError):
        await asyncio.wait_for(asyncio.shield(waiting), 5)


async def test_the_slot_readers_wait_ends_when_cancelled_as_a_transaction_arrives() -> None:
    # Nothing listens on port 1: the stream thread only retries, the queue is the loop's.
    stream = SlotStream("postgresql://127.0.0.1:1/none")
    try:
        waiting = asyncio.create_task(stream.batch(10, 30))
        await asyncio.sleep(0)  # the task now waits for a transaction
        stream._queue.put_nowait(Part([], 1, 0, 0))  # one arrives ...
        waiting.cancel()  # ... in the same turn as the relay's cancellation
        with pytest.raises(asyncio.CancelledError):
            await asyncio.wait_for(asyncio.shield(waiting), 5)
    finally:
        stream.close()
