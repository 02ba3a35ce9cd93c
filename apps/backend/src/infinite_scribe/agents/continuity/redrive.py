"""The continuity check's re-drive (issue 71): a confirmed chapter (a rollback, a waiver) that
no check recorded is published again, as the task re-drive does for generations. A stopped
worker drops the checks it had queued and the embedded broker restarts empty; the log and the
ledger still say what is unchecked.

The worker reads the log's continuity events from a cursor (the global id up to which every
one is checked; at start, the first event of the last day, HORIZON_SECONDS: the first sweep
reads that day's backlog once), and publishes again each unchecked one older than `after` s,
at most MAX_REDRIVES times per process (a poison event is not published for ever; the check's
own attempts cap does the rest).
"""

import time
from collections.abc import Callable
from typing import Any, Protocol

#: Copies of one event this process publishes at most.
MAX_REDRIVES = 3
#: Events read per page, pages per sweep.
PAGE, PAGES = 500, 20
#: Events older than this (s) are not re-driven: the consumers' ledger rows are pruned after
#: DERIVED_RETENTION_DAYS (30 by default), and an event whose row is gone is not unchecked.
HORIZON_SECONDS = 86_400.0


class Backlog(Protocol):
    """persistence/tasks/checks.PostgresCheckBacklog."""

    async def page(
        self, consumer: str, after: int, ages: tuple[float, float], limit: int
    ) -> list[tuple[int, dict[str, Any] | None]]: ...

    async def publish(self, envelopes: list[dict[str, Any]]) -> None: ...

    async def start(self, horizon_seconds: float) -> int:
        """The cursor where a process begins: just before the log's first event younger than
        `horizon_seconds` (the log's end when there is none)."""
        ...


class CheckRedrive:
    """One sweep at a time (the worker's re-drive loop calls `sweep`)."""

    def __init__(
        self,
        backlog: Backlog,
        consumer: str,
        after_seconds: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.backlog = backlog
        self.consumer = consumer
        self.after = after_seconds
        self.clock = clock
        #: None until the first sweep asks the backlog where to begin.
        self.cursor: int | None = None
        #: event id -> (copies published, when the last was).
        self.sent: dict[str, tuple[int, float]] = {}

    async def sweep(self) -> int:
        """Publish again what is unchecked and due; how many."""
        if self.cursor is None:
            self.cursor = await self.backlog.start(HORIZON_SECONDS)
        due: list[dict[str, Any]] = []
        for _ in range(PAGES):
            ages = (self.after, HORIZON_SECONDS)
            rows = await self.backlog.page(self.consumer, self.cursor, ages, PAGE)
            passed = self._take(rows, due)
            if not passed or len(rows) < PAGE:
                break
        if due:
            await self.backlog.publish(due)
        return len(due)

    def _take(
        self, rows: list[tuple[int, dict[str, Any] | None]], due: list[dict[str, Any]]
    ) -> bool:
        """Collect the page's due copies; move the cursor past its checked (or given up)
        prefix. True: the whole page was passed."""
        now, passing = self.clock(), True
        for position, envelope in rows:
            event_id = "" if envelope is None else str(envelope["event_id"])
            copies, last = self.sent.get(event_id, (0, -float("inf")))
            if envelope is None or copies >= MAX_REDRIVES:
                if passing:
                    self.cursor = position
                    self.sent.pop(event_id, None)
                continue
            passing = False
            if now - last >= self.after:
                due.append(envelope)
                self.sent[event_id] = (copies + 1, now)
        return passing
