"""The API's Prometheus series, named like the relay's (`relay_*`, runtime/metrics.py):
`api_requests_total{method,route,status}`, `api_request_duration_seconds{method,route}`,
`api_commands_total{command_type,outcome}`, `api_idempotency_replays_total`,
`api_idempotency_conflicts_total{reason}` and `api_db_pool_connections{state}`.

Labels are bounded: `route` is the route template (`/api/v1/genesis/sessions/{session_id}`),
never the raw path; a path no route knows is `unmatched`; an unknown command type is
`unknown`.

They are served on a listener of their own (API_METRICS_HOST:API_METRICS_PORT, 9110), like the
relay's and the worker's, never on the API's public port (issue 21: unauthenticated scrapes
there cost the API its CPU).
"""

import logging
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

from prometheus_client import CollectorRegistry
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from infinite_scribe.runtime.deadlines import answered_within
from infinite_scribe.runtime.metrics import MetricsServer
from infinite_scribe.runtime.series import Series
from infinite_scribe.settings.settings import Settings

logger = logging.getLogger(__name__)

#: Seconds; a command is a few milliseconds, a slow database pushes it to the upper buckets.
LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10)


class PoolCollector(Collector):
    """Reads the asyncpg pool at scrape time (size, idle, in use, max)."""

    def __init__(self, pool_of: Callable[[], Any]) -> None:
        self.pool_of = pool_of

    def collect(self) -> Iterator[Metric]:
        pool = self.pool_of()
        if pool is None:
            return
        family = GaugeMetricFamily(
            "api_db_pool_connections", "The API's database pool by state", labels=["state"]
        )
        size, idle = pool.get_size(), pool.get_idle_size()
        family.add_metric(["open"], size)
        family.add_metric(["idle"], idle)
        family.add_metric(["in_use"], size - idle)
        family.add_metric(["max"], pool.get_max_size())
        yield family


class ApiMetrics:
    """The API's series in a registry of its own (tests build several apps per process)."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        series = Series(self.registry)
        self.pool: Any = None
        self.requests = series.counter(
            "api_requests",
            "HTTP requests answered, by route template and status",
            ["method", "route", "status"],
        )
        self.latency = series.histogram(
            "api_request_duration_seconds",
            "From the request's arrival to the last byte of its answer",
            ["method", "route"],
            buckets=LATENCY_BUCKETS,
        )
        self.commands = series.counter(
            "api_commands",
            "Commands by type and outcome (received, completed, replayed or an error code)",
            ["command_type", "outcome"],
        )
        self.idempotency_replays = series.counter(
            "api_idempotency_replays", "Requests answered from a stored Idempotency-Key response"
        )
        self.idempotency_conflicts = series.counter(
            "api_idempotency_conflicts",
            "Idempotency-Key refusals: in_use (409) or reused for another request (422)",
            ["reason"],
        )
        self.registry.register(PoolCollector(lambda: self.pool))


async def start_metrics_listener(
    settings: Settings, metrics: ApiMetrics, ping: Callable[[], Awaitable[None]]
) -> MetricsServer | None:
    """The API's `/metrics` and `/health` listener, started; None when its port is taken (a
    second API worker process, another instance): the API serves on without it."""

    async def health() -> tuple[bool, dict[str, object]]:
        try:
            await answered_within(ping(), 1.5)
        except Exception as error:  # any failure means "down"; the reason is reported
            return False, {"database_error": f"{type(error).__name__}: {error}"}
        return True, {}

    server = MetricsServer(
        metrics.registry, health, settings.api_metrics_host, settings.api_metrics_port, "api"
    )
    try:
        await server.start()
    except OSError as error:
        logger.warning(
            "API metrics not served: %s:%s is taken (%s); set API_METRICS_PORT",
            settings.api_metrics_host,
            settings.api_metrics_port,
            error,
        )
        return None
    return server
