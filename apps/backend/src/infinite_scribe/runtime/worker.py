"""Run a `Worker` until a stop event: start-up hook, metrics server, the work, shut-down hook.

A worker plugs in by implementing the `Worker` protocol; `serve(worker, options)` runs it as a
process (SIGTERM/SIGINT set the stop event), `run_worker(worker, stop, options)` inside a
process that owns the stop event (`scribe up`, tests).
"""

import asyncio
import contextlib
import logging
import signal
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

import uvloop
from prometheus_client import CollectorRegistry

from infinite_scribe.runtime.loop_lag import lag_histogram, unwatch_loop, watch_loop
from infinite_scribe.runtime.metrics import MetricsServer
from infinite_scribe.settings.agents import WorkerRuntimeSettings

logger = logging.getLogger(__name__)

#: Past the grace, how long `work` may still take to release and flush before it is cancelled.
CANCEL_MARGIN_SECONDS = 5.0


class Worker(Protocol):
    """A long-running process's work; the runtime owns its lifecycle."""

    #: Names the worker in logs and on its metrics server.
    name: str
    #: Its Prometheus series (a registry of its own: several workers may share a process).
    registry: CollectorRegistry

    async def startup(self) -> None:
        """Open pools and clients; an error here stops the worker before it runs."""
        ...

    async def work(self, stop: asyncio.Event, grace_seconds: float) -> None:
        """Work until `stop` is set, then finish in-flight work within `grace_seconds`."""
        ...

    async def shutdown(self) -> None:
        """Close what `startup` opened. Always called, also after a `startup` that failed part
        way (so a pool it opened before the failure is not leaked): close only what exists."""
        ...

    async def health(self) -> tuple[bool, dict[str, object]]:
        """(healthy, details) for GET /health."""
        ...


#: The defaults below are the settings' (described there), not copies of them.
_SETTINGS = WorkerRuntimeSettings.model_fields


@dataclass(frozen=True)
class RuntimeOptions:
    grace_seconds: float = _SETTINGS["worker_shutdown_grace_seconds"].default
    metrics_host: str = _SETTINGS["worker_metrics_host"].default
    #: 0: any free port; None: no metrics server.
    metrics_port: int | None = None
    #: Told the metrics server's port once it listens (tests and banners want it).
    on_metrics_port: Callable[[int], None] | None = None


async def _start_metrics(worker: Worker, options: RuntimeOptions) -> MetricsServer | None:
    if options.metrics_port is None:
        return None
    server = MetricsServer(
        worker.registry, worker.health, options.metrics_host, options.metrics_port, worker.name
    )
    try:
        port = await server.start()
    except OSError as error:
        # The work matters more than its metrics (e.g. two relays on one host in dev).
        logger.error("%s metrics not served on port %s: %s", worker.name, server.port, error)
        return None
    if options.on_metrics_port is not None:
        options.on_metrics_port(port)
    return server


async def run_worker(worker: Worker, stop: asyncio.Event, options: RuntimeOptions) -> None:
    """Start-up hook, metrics server, `work` until `stop` (+ grace, then cancel), shut-down."""
    server: MetricsServer | None = None
    lag = lag_histogram(worker.registry)
    watch_loop(lag)  # the loop's lag in the worker's own series (issue 49)
    try:
        await worker.startup()
        server = await _start_metrics(worker, options)
        task = asyncio.create_task(worker.work(stop, options.grace_seconds))
        stopping = asyncio.create_task(stop.wait())
        await asyncio.wait({task, stopping}, return_when=asyncio.FIRST_COMPLETED)
        if not task.done():
            await asyncio.wait({task}, timeout=options.grace_seconds + CANCEL_MARGIN_SECONDS)
        stopping.cancel()
        if not task.done():
            logger.warning("%s did not stop within its grace period: cancelled", worker.name)
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        else:
            task.result()  # a crash of the work is the process's failure
    finally:
        unwatch_loop(lag)
        await worker.shutdown()
        if server is not None:
            await server.close()


def stop_on_signals() -> asyncio.Event:
    """An event set by SIGTERM or SIGINT (call inside the running loop)."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    return stop


def serve(worker: Callable[[], Worker], options: RuntimeOptions) -> None:
    """Run one worker in this process until SIGTERM/SIGINT, then exit cleanly."""

    async def main() -> None:
        await run_worker(worker(), stop_on_signals(), options)

    uvloop.run(main())
