"""Which `domain_events` ids are settled, so a reader of `id > cursor` never skips one.

`domain_events.id` is a BIGSERIAL taken at INSERT, not at COMMIT: transaction A may take id 5,
B id 6, and B commit first. A reader that saw 6 and moved its cursor past 5 would never see 5.
So the reader advances only through ids it has seen, and stops at a hole (an id missing below
a visible one) until the hole is *settled*:

- the row shows up (its transaction committed), or
- every transaction that could hold the missing id has ended (it was a rollback or a failed
  insert, and can never fill), observed *before* the read that skips it.

Who can hold it: an INSERT takes ROW EXCLUSIVE on `domain_events` before it calls nextval()
and keeps it until its transaction ends. If id n > m was visible to a read, n was taken after
m, so m's transaction held that lock since before the read; any later look at `pg_locks`
either finds it there or it has ended. The hole remembers those lock holders (virtual
transaction ids, in this database only) and is settled when none of them holds the lock any
more. Unlike a snapshot's xmin, this waits only for writers of `domain_events` in this
database, not for every transaction in the cluster.

A hole that stays open for `timeout` seconds (a writer left idle in its transaction) is skipped
with a warning, so one stuck connection cannot freeze every stream
(docs/decisions/0801-stream-gap-horizon.md). This is Marten's high-water mark / eventsourcing's
notification log idea, with the database telling who may still fill the hole.
"""

import logging
import time
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass

logger = logging.getLogger(__name__)


@dataclass
class Hole:
    first_missing: int
    seen_at: float
    #: Lock holders when the hole was first seen (None: not looked up yet).
    holders: frozenset[str] | None = None
    #: All of them had ended at a look taken before the current read.
    cleared: bool = False


class GapTracker:
    """The settled cursor over `domain_events.id`. Protocol per read: `holders_ended()` (if a
    check said so) -> read rows -> `accept(ids)` -> `set_holders(...)` when `wants_holders`."""

    def __init__(
        self, cursor: int, timeout: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.cursor = cursor
        self.timeout = timeout
        self.clock = clock
        self.hole: Hole | None = None
        #: Holes skipped after `timeout` (a metric for tests and logs).
        self.skipped_by_timeout = 0

    @property
    def wants_holders(self) -> bool:
        return self.hole is not None and self.hole.holders is None

    @property
    def waiting_on(self) -> frozenset[str]:
        """The lock holders to check before the next read (empty: nothing to check)."""
        hole = self.hole
        if hole is None or hole.cleared or hole.holders is None:
            return frozenset()
        return hole.holders

    def set_holders(self, holders: Collection[str]) -> None:
        """The lock holders seen after the read that found the hole; none: it is settled (for
        the next read, which starts after this look)."""
        assert self.hole is not None
        self.hole.holders = frozenset(holders)
        self.hole.cleared = not holders

    def holders_ended(self) -> None:
        if self.hole is not None:
            self.hole.cleared = True

    def accept(self, ids: Sequence[int]) -> int:
        """Given the ids above the cursor visible to one read (ascending), move the cursor
        through the settled prefix; return its length."""
        accepted = 0
        for event_id in ids:
            if event_id != self.cursor + 1 and not self._settled(self.cursor + 1):
                break
            self.cursor = event_id
            accepted += 1
        if self.hole is not None and self.hole.first_missing <= self.cursor:
            self.hole = None  # filled or skipped
        return accepted

    def _settled(self, first_missing: int) -> bool:
        hole = self.hole
        if hole is None or hole.first_missing != first_missing:
            self.hole = Hole(first_missing, self.clock())
            return False
        if hole.cleared:
            return True
        if self.clock() - hole.seen_at >= self.timeout:
            logger.warning(
                "event id %d has been missing for %.0f s while a writer of domain_events still "
                "runs; skipping it (stream_gap_timeout_seconds)",
                first_missing,
                self.timeout,
            )
            self.skipped_by_timeout += 1
            return True
        return False
