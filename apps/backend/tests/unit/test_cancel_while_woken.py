"""A task cancelled in the same loop turn as its wake-up must still end (Python 3.11's
`asyncio.wait_for` returned the inner result then and lost the cancellation: the stream hub
of an API under load never stopped, so the API never shut down)."""

import asyncio

import pytest

from infinite_scribe.persistence.event_feed import PostgresEventFeed


async def test_the_feed_wait_ends_when_cancelled_as_it_is_woken() -> None:
    feed = PostgresEventFeed("postgresql://unused", pool=None, gap_timeout=1.0)  # type: ignore[arg-type]
    waiting = asyncio.create_task(feed.wait(30))
    await asyncio.sleep(0)  # the task now waits for the wake-up
    feed._notice(None, 0, "outbox", "")  # a NOTIFY arrives ...
    waiting.cancel()  # ... in the same turn as the hub's cancellation
    with pytest.raises(asyncio.CancelledError):
        await asyncio.wait_for(asyncio.shield(waiting), 5)
