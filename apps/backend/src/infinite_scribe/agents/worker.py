"""The agent worker (`scribe worker`): on the shared worker runtime, with no work yet.

The agent issue fills `work` in (consume the requested events, generate, publish the results
through `application.agent_events`); today it starts, serves /health and /metrics on
WORKER_METRICS_PORT, and stops cleanly on SIGTERM/SIGINT.
"""

import asyncio
import logging

from prometheus_client import CollectorRegistry, Gauge

from infinite_scribe.config import Settings
from infinite_scribe.runtime.worker import RuntimeOptions, serve

logger = logging.getLogger(__name__)


class AgentWorker:
    """A `runtime.Worker` that waits for its stop event."""

    name = "agent-worker"

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.registry = CollectorRegistry()
        self.up = Gauge("agent_worker_up", "1 while the agent worker runs", registry=self.registry)

    async def startup(self) -> None:
        self.up.set(1)
        logger.info("agent worker started")

    async def work(self, stop: asyncio.Event, grace_seconds: float) -> None:
        await stop.wait()

    async def shutdown(self) -> None:
        self.up.set(0)
        logger.info("agent worker stopped")

    async def health(self) -> tuple[bool, dict[str, object]]:
        return True, {"worker": self.name}


def runtime_options(settings: Settings) -> RuntimeOptions:
    return RuntimeOptions(
        grace_seconds=settings.worker_shutdown_grace_seconds,
        metrics_host=settings.worker_metrics_host,
        metrics_port=settings.worker_metrics_port,
    )


def run(settings: Settings) -> None:
    """Block until SIGTERM/SIGINT, then exit 0."""
    serve(lambda: AgentWorker(settings), runtime_options(settings))
