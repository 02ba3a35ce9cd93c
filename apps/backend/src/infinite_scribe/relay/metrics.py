"""The relay's Prometheus series (served by the worker runtime's metrics server)."""

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest


class RelayMetrics:
    """The relay's series in a registry of its own (several relays may share a process)."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.published = Counter(
            "relay_published", "Outbox rows acknowledged by the broker", registry=self.registry
        )
        self.retries = Counter(
            "relay_retries", "Rejected messages scheduled for a retry", registry=self.registry
        )
        self.failures = Counter(
            "relay_failures", "Rows marked FAILED after the retry schedule", registry=self.registry
        )
        self.released = Counter(
            "relay_released", "Rows given back unsent (outage, shutdown)", registry=self.registry
        )
        self.backlog = Gauge(
            "relay_outbox_rows",
            "Unsent outbox rows per status (PENDING, FAILED)",
            ["status"],
            registry=self.registry,
        )
        self.oldest_pending_age = Gauge(
            "relay_oldest_pending_age_seconds",
            "Age of the oldest PENDING outbox row",
            registry=self.registry,
        )
        self.broker_up = Gauge(
            "relay_broker_up", "1 while the broker is reachable", registry=self.registry
        )
        self.slot_lag = Gauge(
            "relay_outbox_slot_lag_bytes",
            "WAL bytes between the server's position and the logical outbox slot's confirmed "
            "one (0 without a slot); grows without bound while no relay streams it",
            registry=self.registry,
        )
        self.publish_latency = Histogram(
            "relay_publish_latency_seconds",
            "Produce to delivery report, per batch",
            buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
            registry=self.registry,
        )
        self.broker_up.set(1)

    def render(self) -> bytes:
        return generate_latest(self.registry)
