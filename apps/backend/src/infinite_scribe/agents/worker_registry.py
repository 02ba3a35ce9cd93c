"""The worker's own row in the worker registry (issue 38, decision 4003): the operator's
overview counts agent workers from it, not from the broker (the embedded broker lists the
consumer group without members).

Each process beats once per heartbeat interval (the interval of the tasks' heartbeats), from
its start until `stop` is set; a clean stop deletes its row at once, a killed process's row
expires after three of its intervals and is pruned later by any worker's start.
"""

import asyncio
import contextlib
import logging
import os
import socket
import uuid
from collections.abc import Callable

from infinite_scribe.application.ports.workers import WorkerBeat, WorkerRegistry

logger = logging.getLogger(__name__)


class WorkerPresence:
    """Keeps one worker's row in the registry while the worker runs."""

    def __init__(
        self,
        registry: WorkerRegistry,
        kind: str,
        interval: float,
        in_flight: Callable[[], int] = lambda: 0,
    ) -> None:
        self.registry = registry
        self.kind = kind
        self.interval = interval
        self.in_flight = in_flight
        self.host, self.pid = socket.gethostname()[:200], os.getpid()
        # Unique even when a pid is reused on the host.
        self.worker_id = f"{kind}@{self.host}:{self.pid}:{uuid.uuid4().hex[:8]}"

    async def arrive(self) -> None:
        """At the worker's start: prune the rows of workers killed long ago."""
        with contextlib.suppress(Exception):
            await self.registry.prune()

    async def beat(self) -> None:
        """The worker's row, fresh (every `interval`, as the worker runs it)."""
        beat = WorkerBeat(
            self.worker_id, self.kind, self.host, self.pid, self.interval, self.in_flight()
        )
        await self.registry.beat(beat)

    async def leave(self) -> None:
        try:
            # Shielded: a stop that cancels the helpers must not cancel the row's deletion.
            await asyncio.shield(self.registry.leave(self.worker_id))
        except (Exception, asyncio.CancelledError) as error:
            logger.warning("could not leave the worker registry: %r", error)
