"""Which offset of a partition is safe to commit while messages finish out of order.

Messages of one partition are handled concurrently (different keys), so they finish in any
order; the committed offset must never pass a message that is not finished, or a crash would
skip it. A `PartitionOffsets` is one assignment of one partition (a new one per rebalance, so a
message of an earlier assignment can never move the offset of the current one).
"""

import threading
from dataclasses import dataclass, field


@dataclass(eq=False)
class PartitionOffsets:
    """Offsets dispatched and not finished, for one assignment of (topic, partition)."""

    topic: str
    partition: int
    #: False once the partition was revoked: its messages still finish, but store nothing.
    assigned: bool = True
    _unfinished: set[int] = field(default_factory=set)
    _next: int | None = None  # one past the highest offset seen
    _stored: int | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def started(self, offset: int) -> None:
        with self._lock:
            self._unfinished.add(offset)
            self._next = max(self._next or 0, offset + 1)

    def finished(self, offset: int) -> None:
        with self._lock:
            self._unfinished.discard(offset)

    def position(self) -> int | None:
        """The lowest unfinished offset (everything below it is done), or one past the highest
        seen when nothing is open; None before the first message."""
        with self._lock:
            if self._next is None:
                return None
            return min(self._unfinished) if self._unfinished else self._next

    def changed(self) -> int | None:
        """`position()` when it moved since `mark_stored`, else None."""
        position = self.position()
        return None if position == self._stored else position

    def mark_stored(self, position: int) -> None:
        with self._lock:
            self._stored = position
