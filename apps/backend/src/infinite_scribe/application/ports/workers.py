"""The worker registry's port (issue 38, decision 4003): agent worker processes say they are
alive in their own rows; the operator's overview reads who beat recently."""

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

#: A row counts as alive while it was seen within this many of its own beat intervals.
EXPIRY_BEATS = 3.0


@dataclass(frozen=True)
class WorkerBeat:
    """One worker process as it last reported itself."""

    worker_id: str
    kind: str
    host: str
    pid: int
    #: Seconds between the worker's beats (its row expires after EXPIRY_BEATS of them).
    beat_seconds: float
    #: Messages the worker's consumer is handling at the beat.
    in_flight: int = 0
    started_at: datetime | None = None
    #: Seconds since the last beat (as the database's clock reads it).
    silent_seconds: float = 0.0


class WorkerRegistry(Protocol):
    async def beat(self, worker: WorkerBeat) -> None:
        """Insert the worker's row, or refresh its `last_seen_at` and `in_flight`."""
        ...

    async def leave(self, worker_id: str) -> None:
        """A clean stop: the row goes at once."""
        ...

    async def prune(self) -> int:
        """Delete rows expired long ago (workers killed without a clean stop)."""
        ...

    async def live(self, expiry_beats: float = EXPIRY_BEATS) -> list[WorkerBeat]:
        """Rows seen within `expiry_beats` of their own intervals, oldest first."""
        ...

    async def relays(self, ttl_seconds: float) -> list[str]:
        """The relays heard from within `ttl_seconds` (their own heartbeats: the key shares'
        `relay_members`, decision 2600), by id."""
        ...
