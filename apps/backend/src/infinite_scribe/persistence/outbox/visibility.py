"""A decoded transaction is published only once readers can see it (the logical outbox).

The walsender decodes a transaction as soon as its commit record is flushed, and the committing
backend leaves the snapshot's list of running transactions only after that flush: for a moment a
message can reach a consumer that reads the database back and does not yet find the rows the
same transaction wrote. Measured in `bench/agents.py` (N=1,000): the burst's first request,
consumed within milliseconds, found no task to start, and waited 30 s for the re-drive. The
table outbox never had this window (its relay reads rows through a snapshot that sees them).

So the slot reader waits, before it hands a batch over, until a current snapshot sees every
one of the batch's transactions: one cheap query per batch (`pg_current_snapshot()`), a wait
only in that rare window. A snapshot `xmin:xmax:xip` counts as running every xid at or past
`xmax` and those listed in `xip`. pgoutput's BEGIN record carries the 32-bit xid (`slot.begun`
reads it); the snapshot's are 64-bit: the xid is placed in `xmax`'s epoch (or the one before,
for an xid from just before a wraparound).
"""

import asyncio
import logging
import time
from collections.abc import Sequence

import asyncpg

logger = logging.getLogger(__name__)

_EPOCH = 2**32

#: The longest wait for a transaction whose commit was decoded to become visible; past it the
#: batch goes anyway (a consumer then meets the window, as without this module).
LIMIT_SECONDS = 5.0


def running(snapshot: str, xids: Sequence[int]) -> bool:
    """Whether the snapshot (`xmin:xmax:xip,...`) sees any of the 32-bit `xids` as running."""
    _, xmax_text, listed = snapshot.split(":")
    xmax = int(xmax_text)
    in_progress = {int(x) for x in listed.split(",") if x}
    for xid in xids:
        full = xmax - xmax % _EPOCH + xid
        if full > xmax + _EPOCH // 2:  # from the epoch before xmax's
            full -= _EPOCH
        if full >= xmax or full in in_progress:
            return True
    return False


async def wait_visible(connection: asyncpg.Connection, xids: Sequence[int]) -> float:
    """Return once no transaction of `xids` runs in a current snapshot; the seconds waited."""
    wanted = [xid for xid in xids if xid]
    if not wanted:
        return 0.0
    started = time.monotonic()
    pause = 0.0005
    while running(await connection.fetchval("SELECT pg_current_snapshot()::text"), wanted):
        waited = time.monotonic() - started
        if waited > LIMIT_SECONDS:
            logger.warning("a decoded transaction stayed invisible for %.1f s; sent", waited)
            break
        await asyncio.sleep(pause)  # the commit's last step is microseconds away
        pause = min(pause * 2, 0.05)
    return time.monotonic() - started
