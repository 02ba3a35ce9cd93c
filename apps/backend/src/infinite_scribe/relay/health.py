"""The relay's /health answer and its gauges (outbox backlog, oldest PENDING age, the logical
outbox slot's lag)."""

from typing import Protocol

from infinite_scribe.persistence.errors import DATABASE_ERRORS
from infinite_scribe.persistence.outbox import slot as outbox_slot
from infinite_scribe.persistence.relay.store import OutboxStore
from infinite_scribe.relay.broker_probe import BrokerProbe
from infinite_scribe.relay.metrics import RelayMetrics
from infinite_scribe.relay.parts import RelayOptions
from infinite_scribe.runtime.deadlines import answered_within

#: What makes the health check report the database as failing (no store yet included).
_HEALTH_ERRORS: tuple[type[Exception], ...] = (*DATABASE_ERRORS, RuntimeError, TimeoutError)
#: How long /health waits for the database (a frozen one answers 503 this fast: issue 21).
HEALTH_TIMEOUT_SECONDS = 1.5


class Observed(Protocol):
    """What /health reads of a relay (the relay itself, without importing it)."""

    relay_id: str
    outage: bool
    options: RelayOptions
    broker_probe: BrokerProbe
    metrics: RelayMetrics

    @property
    def store(self) -> OutboxStore: ...


async def relay_health(relay: Observed) -> tuple[bool, dict[str, object]]:
    # The probe notices a frozen broker within seconds; the outage flag only when the
    # producer gives up on a message.
    reachable = not relay.outage and relay.broker_probe.reachable
    details: dict[str, object] = {"relay_id": relay.relay_id, "broker_reachable": reachable}
    if relay.broker_probe.problem is not None:
        details["broker_problem"] = relay.broker_probe.problem
    healthy = reachable
    try:
        age = await answered_within(relay.store.oldest_pending_age(), HEALTH_TIMEOUT_SECONDS)
        relay.metrics.oldest_pending_age.set(age)
        details["oldest_pending_age_seconds"] = round(age, 3)
        if age > relay.options.health_max_pending_age:
            healthy = False
        logical = await answered_within(
            outbox_slot.status(relay.store.pool), HEALTH_TIMEOUT_SECONDS
        )
        if logical.slot_exists:
            details["outbox_slot"] = {"streamed": logical.active, "lag_bytes": logical.lag_bytes}
    except _HEALTH_ERRORS as error:
        details["database_error"] = str(error)
        healthy = False
    return healthy, details


async def refresh_gauges(store: OutboxStore, metrics: RelayMetrics) -> None:
    """The backlog, the oldest pending row's age and the slot's lag, once (the relay runs it
    every GAUGES_SECONDS, a `runtime.periodic` job)."""
    counts = await store.counts()
    for status in ("PENDING", "FAILED"):
        metrics.backlog.labels(status).set(counts.get(status, 0))
    metrics.oldest_pending_age.set(await store.oldest_pending_age())
    logical = await outbox_slot.status(store.pool)
    metrics.slot_lag.set(logical.lag_bytes if logical.slot_exists else 0)


#: How often the relay's gauges are refreshed.
GAUGES_SECONDS = 5.0
