"""A periodic maintenance job as a `Worker`: run `sweep()` now, then every `interval` seconds,
until the stop event. A failed sweep is logged and retried at the next interval (the database
may be restarting); /health reports the last failure until a sweep succeeds."""

import asyncio
import logging
from collections.abc import Awaitable, Callable

from prometheus_client import CollectorRegistry, Counter

from infinite_scribe.runtime.periodic import Periodic, run_every

logger = logging.getLogger(__name__)


class PeriodicSweeper:
    """`sweep` returns how many items it handled (logged when not zero)."""

    def __init__(self, name: str, interval: float, sweep: Callable[[], Awaitable[int]]) -> None:
        self.name = name
        self.interval = interval
        self._sweep = sweep
        self.registry = CollectorRegistry()
        self._swept = Counter(
            "sweeper_items_total", "Items a sweep handled", ["sweeper"], registry=self.registry
        )
        self.last_error: str | None = None

    async def startup(self) -> None:
        """Nothing to open: each sweep opens what it needs (it may outlive a database restart)."""

    async def shutdown(self) -> None:
        """Nothing to close."""

    async def work(self, stop: asyncio.Event, grace_seconds: float) -> None:
        await run_every(Periodic(self.name, self.interval, self._sweep_once), stop)

    async def _sweep_once(self) -> None:
        try:
            handled = await self._sweep()
        except Exception as error:  # a sweeper outlives one failed sweep
            self.last_error = f"{type(error).__name__}: {error}"
            logger.exception("%s failed; retrying in %.0f s", self.name, self.interval)
            return
        self.last_error = None
        if handled:
            self._swept.labels(self.name).inc(handled)
            logger.info("%s handled %d item(s)", self.name, handled)

    async def health(self) -> tuple[bool, dict[str, object]]:
        return self.last_error is None, {"last_error": self.last_error}
