"""Wake the relay (and any other LISTENer on OUTBOX_CHANNEL) after commits, coalesced.

NOTIFY inside a transaction takes a global lock at commit that serialises every notifying
commit (measured: it halves the one-statement write ceiling). The listeners need a wake-up, not
one per transaction: after a commit that wrote outbox rows, `committed()` marks the notifier
dirty and, unless a NOTIFY is already under way, sends one from its own tiny transaction. Commits
that land while it is in flight are covered by exactly one more NOTIFY after it. So a listener
hears of a commit at most two NOTIFY round trips later (a millisecond or two), and under load the
number of NOTIFYs per second is bounded by their round trip, not by the commit rate.

The NOTIFY goes over a dedicated connection when the database URL is known: taken from the pool
it would queue behind the very commands it reports on whenever the pool is exhausted (measured:
hundreds of ms under overload). A NOTIFY that fails (database restarting) is dropped and the
connection is reopened on the next commit: the relay's poll interval is the safety net.
See docs/decisions/1000-relay-wakeup-coalesced-notify.md.

In the logical mode a commit writes no `event_outbox` row: its NOTIFY says so (payload
`SLOT_ONLY`), so the table relay does not claim for nothing (measured at 500 commits/s: the
claims were the relay's largest cost, decision 5300); the live streams wake on it as before.

This is the one module that sends NOTIFY: `notify` for a single wake-up after a commit (the task
re-drive, outbox requeue and replay), `OutboxNotifier` for the coalesced ones.
"""

import asyncio
import contextlib
import logging

import asyncpg

from infinite_scribe.persistence.database import asyncpg_dsn
from infinite_scribe.persistence.errors import DATABASE_ERRORS

logger = logging.getLogger(__name__)

#: The channel the relay and the live streams LISTEN on.
OUTBOX_CHANNEL = "event_outbox_pending"
#: The payload of a wake-up for commits that wrote no outbox row (the logical outbox's).
SLOT_ONLY = "slot"


async def notify(
    executor: asyncpg.Connection | asyncpg.Pool,
    payload: str = "",
    channel: str = OUTBOX_CHANNEL,
) -> None:
    """One NOTIFY on its own (autocommit: never inside a writing transaction, decision 1000)."""
    await executor.execute("SELECT pg_notify($1, $2)", channel, payload)


class OutboxNotifier:
    """One per pool: at most one NOTIFY in flight, one more for whatever committed meanwhile."""

    def __init__(
        self, pool: asyncpg.Pool, database_url: str | None = None, channel: str = OUTBOX_CHANNEL
    ) -> None:
        self.pool = pool
        self.database_url = database_url
        self.channel = channel
        self.sent = 0  # NOTIFYs issued (tests and benchmarks read it)
        self._dirty = False
        #: Whether a commit the pending NOTIFY covers wrote `event_outbox` rows.
        self._rows = False
        self._task: asyncio.Task[None] | None = None
        self._connection: asyncpg.Connection | None = None

    async def open(self) -> None:
        """Open the dedicated connection now (at start-up), so the first commit's wake-up does
        not wait for a connection to be made; a failure leaves it to the first NOTIFY."""
        if self.database_url is None or self._connection is not None:
            return
        try:
            self._connection = await asyncpg.connect(asyncpg_dsn(self.database_url), timeout=5)
        except DATABASE_ERRORS as error:
            logger.warning("outbox NOTIFY connection failed at start (%s); opened on use", error)

    def committed(self, rows: bool = True) -> None:
        """A transaction that wrote outbox rows (`rows`) or messages has committed: make sure a
        NOTIFY follows."""
        self._dirty = True
        self._rows = self._rows or rows
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self._flush())

    async def _flush(self) -> None:
        while self._dirty:
            payload = "" if self._rows else SLOT_ONLY
            self._dirty = self._rows = False
            try:
                await self._notify(payload)
                self.sent += 1
            except DATABASE_ERRORS as error:
                logger.warning("outbox NOTIFY failed (%s); the relay's poll finds the rows", error)
                await self._close_connection()
                return

    async def _notify(self, payload: str) -> None:
        if self.database_url is None:
            await notify(self.pool, payload, self.channel)
            return
        if self._connection is None or self._connection.is_closed():
            try:
                self._connection = await asyncpg.connect(asyncpg_dsn(self.database_url), timeout=5)
            except DATABASE_ERRORS as error:
                # No new connection now (e.g. the server's connection limit): a pooled one
                # still wakes the relay; the dedicated one is tried again next time.
                logger.warning("outbox NOTIFY connection failed (%s); using the pool", error)
                await notify(self.pool, payload, self.channel)
                return
        await notify(self._connection, payload, self.channel)

    async def _close_connection(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None and not connection.is_closed():
            with contextlib.suppress(*DATABASE_ERRORS):
                await asyncio.wait_for(connection.close(), 2)

    async def close(self) -> None:
        """Send what is pending, then close the dedicated connection."""
        with contextlib.suppress(*DATABASE_ERRORS):
            await asyncio.wait_for(self.idle(), 2)
        await self._close_connection()

    async def idle(self) -> None:
        """Wait until no NOTIFY is pending (tests; a clean shutdown)."""
        while self._task is not None and not self._task.done():
            await asyncio.shield(self._task)
