"""Periodic jobs declared, run by one loop (saq's `Worker` upkeep and cron jobs): a worker lists
`Periodic(name, interval, job)`s and `run_periodic` runs each every `interval` seconds until
the stop event. A failed run is logged and the job runs again at its next interval (the
database may be restarting): no job writes its own loop, its own wait or its own catch."""

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Periodic:
    name: str
    interval: float
    job: Callable[[], Awaitable[object]]
    #: Run once at the start (True), or first after one interval.
    at_start: bool = True


async def run_every(periodic: Periodic, stop: asyncio.Event) -> None:
    """Run `periodic.job` every `periodic.interval` seconds until `stop` is set."""
    if not periodic.at_start:
        await _wait(stop, periodic.interval)
    while not stop.is_set():
        try:
            await periodic.job()
        except Exception as error:  # the next run tries again
            logger.warning("%s failed: %s", periodic.name, error)
        await _wait(stop, periodic.interval)


async def run_periodic(jobs: Sequence[Periodic], stop: asyncio.Event) -> None:
    """Every job on its own interval, until `stop` is set (or this is cancelled)."""
    await asyncio.gather(*(run_every(periodic, stop) for periodic in jobs))


async def _wait(stop: asyncio.Event, seconds: float) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), seconds)
