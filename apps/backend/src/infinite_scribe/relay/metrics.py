"""The relay's Prometheus series (served by the worker runtime's metrics server)."""

from prometheus_client import CollectorRegistry

from infinite_scribe.runtime.series import Series


class RelayMetrics:
    """The relay's series in a registry of its own (several relays may share a process)."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        series = Series(self.registry)
        self.published = series.counter("relay_published", "Outbox rows acknowledged by the broker")
        self.retries = series.counter("relay_retries", "Rejected messages scheduled for a retry")
        self.failures = series.counter(
            "relay_failures", "Rows marked FAILED after the retry schedule"
        )
        self.released = series.counter(
            "relay_released", "Rows given back unsent (outage, shutdown)"
        )
        self.backlog = series.gauge(
            "relay_outbox_rows", "Unsent outbox rows per status (PENDING, FAILED)", ["status"]
        )
        self.oldest_pending_age = series.gauge(
            "relay_oldest_pending_age_seconds", "Age of the oldest PENDING outbox row"
        )
        self.broker_up = series.gauge("relay_broker_up", "1 while the broker is reachable")
        self.slot_lag = series.gauge(
            "relay_outbox_slot_lag_bytes",
            "WAL bytes between the server's position and the logical outbox slot's confirmed "
            "one (0 without a slot); grows without bound while no relay streams it",
        )
        self.publish_latency = series.histogram(
            "relay_publish_latency_seconds",
            "Produce to delivery report, per batch",
            buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
        )
        self.broker_up.set(1)
