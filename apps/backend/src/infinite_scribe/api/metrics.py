"""The API's Prometheus series, named like the relay's (`relay_*`, runtime/metrics.py):
`api_requests_total{method,route,status}`, `api_request_duration_seconds{method,route}`,
`api_commands_total{command_type,outcome}`, `api_idempotency_replays_total`,
`api_idempotency_conflicts_total{reason}` and `api_db_pool_connections{state}`.

Labels are bounded: `route` is the route template (`/api/v1/genesis/sessions/{session_id}`),
never the raw path; a path no route knows is `unmatched`; an unknown command type is
`unknown`.
"""

from collections.abc import Callable, Iterator
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

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
        self.pool: Any = None
        self.requests = Counter(
            "api_requests",
            "HTTP requests answered, by route template and status",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "api_request_duration_seconds",
            "From the request's arrival to the last byte of its answer",
            ["method", "route"],
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.commands = Counter(
            "api_commands",
            "Commands by type and outcome (received, completed, replayed or an error code)",
            ["command_type", "outcome"],
            registry=self.registry,
        )
        self.idempotency_replays = Counter(
            "api_idempotency_replays",
            "Requests answered from a stored Idempotency-Key response",
            registry=self.registry,
        )
        self.idempotency_conflicts = Counter(
            "api_idempotency_conflicts",
            "Idempotency-Key refusals: in_use (409) or reused for another request (422)",
            ["reason"],
            registry=self.registry,
        )
        self.registry.register(PoolCollector(lambda: self.pool))

    def render(self) -> bytes:
        return generate_latest(self.registry)
