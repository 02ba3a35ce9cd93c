"""LISTEN on the outbox channel over a dedicated connection, reconnecting forever.

Notifications sent while disconnected are lost, so every (re)connect also wakes the relay for a
full catch-up; the poll interval covers a connection that died silently.
"""

import asyncio
import contextlib
import logging
from functools import partial

import asyncpg

from infinite_scribe.persistence.database import connect
from infinite_scribe.persistence.errors import DATABASE_ERRORS
from infinite_scribe.persistence.outbox.notifier import OUTBOX_CHANNEL, SLOT_ONLY

logger = logging.getLogger(__name__)


async def listen_forever(
    database_url: str, wake: asyncio.Event, stop: asyncio.Event, check_every: float
) -> None:
    """Set `wake` on every NOTIFY and after every (re)connect, until `stop` is set."""
    backoff = 0.2
    while not stop.is_set():
        connection: asyncpg.Connection | None = None
        lost = asyncio.Event()
        try:
            connection = await asyncio.wait_for(connect(database_url), 10)
            assert connection is not None
            connection.add_termination_listener(lambda _conn, lost=lost: lost.set())
            await connection.add_listener(OUTBOX_CHANNEL, partial(_woken, wake))
            wake.set()  # catch up on whatever was committed while we were not listening
            backoff = 0.2
            while not stop.is_set() and not lost.is_set():
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(_first(stop, lost), check_every)
                if not stop.is_set() and not lost.is_set():
                    await asyncio.wait_for(connection.execute("SELECT 1"), 5)
        except DATABASE_ERRORS as error:
            logger.warning("LISTEN connection lost (%s); reconnecting", error)
            wake.set()
        finally:
            if connection is not None and not connection.is_closed():
                with contextlib.suppress(Exception):
                    await asyncio.wait_for(connection.close(), 2)
        if not stop.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), backoff)
            backoff = min(backoff * 2, 5.0)


def _woken(
    wake: asyncio.Event, _connection: object, _pid: int, _channel: str, payload: str
) -> None:
    """A NOTIFY: the table has new rows, unless it says the commits wrote only slot messages."""
    if payload != SLOT_ONLY:
        wake.set()


async def _first(*events: asyncio.Event) -> None:
    tasks = [asyncio.create_task(event.wait()) for event in events]
    try:
        await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in tasks:
            task.cancel()
