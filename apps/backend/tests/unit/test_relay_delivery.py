"""The relay's delivery decisions (relay/delivery.py over the table source) with fakes at its
ports (issue 25): what a batch's delivery
reports become in the outbox: acknowledged rows SENT, an outage's rows released (and the broker
marked down), a rejected row retried after its backoff or FAILED once the backoff is spent, a
batch acknowledged across a reconnection to another cluster not marked SENT. The relay is built
from handed parts (issue 35): no Settings, no patched attribute."""

import uuid
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import Any

import pytest
from confluent_kafka import KafkaError

from infinite_scribe.application.ports.relay import ClaimedRow
from infinite_scribe.persistence.relay.members import Share
from infinite_scribe.relay.broker_probe import BrokerProbe
from infinite_scribe.relay.delivery import Delivery
from infinite_scribe.relay.parts import RelayClients, RelayOptions, RelayParts
from infinite_scribe.relay.service import Relay
from infinite_scribe.relay.table_source import TableSource
from infinite_scribe.runtime.worker import RuntimeOptions

REJECTED = KafkaError(KafkaError.INVALID_RECORD, "bad record")
TOO_LARGE = KafkaError(KafkaError.MSG_SIZE_TOO_LARGE, "too large")
TIMED_OUT = KafkaError(KafkaError._MSG_TIMED_OUT, "timed out")


class FakeStore:
    """The outbox port: records what the relay decided."""

    def __init__(self) -> None:
        self.sent: list[uuid.UUID] = []
        self.released: list[uuid.UUID] = []
        self.rejections: list[dict[str, Any]] = []

    async def mark_sent(self, ids: Sequence[uuid.UUID]) -> None:
        self.sent.extend(ids)

    async def release(self, ids: Sequence[uuid.UUID]) -> None:
        self.released.extend(ids)

    async def rejected(self, row_id: uuid.UUID, **details: Any) -> None:
        self.rejections.append({"id": row_id, **details})


class FakePublisher:
    """The producer port: answers each batch with the reports it is given."""

    def __init__(self, reports: list[KafkaError | None], problem: str | None = None) -> None:
        self.reports, self._problem = reports, problem
        self.disconnects = 0
        self.fatal = False
        self.disconnect_while_publishing = False
        self.on_broker_down: Any = None

    async def publish(self, rows: list[ClaimedRow]) -> list[KafkaError | None]:
        if self.disconnect_while_publishing:
            self.disconnects += 1
        return self.reports[: len(rows)]

    async def problem(self) -> str | None:
        return self._problem


def _rows(count: int, attempts: int = 0) -> list[ClaimedRow]:
    return [
        ClaimedRow(uuid.uuid4(), n, "events", f"k{n}", attempts, b"{}", []) for n in range(count)
    ]


@asynccontextmanager
async def _no_clients(relay_id: str) -> AsyncIterator[RelayClients]:
    raise AssertionError("these tests hand the store to the delivery directly")
    yield


def _options(cluster_id: str | None) -> RelayOptions:
    return RelayOptions(
        database_url="postgresql://unused/db",
        kafka="127.0.0.1:9",
        batch_size=100,
        max_in_flight_batches=2,
        max_per_key=10,
        member_ttl_seconds=10.0,
        poll_interval=1.0,
        lease_seconds=30.0,
        retry_backoff=(1.0, 2.0, 4.0),
        max_message_bytes=1_000_000,
        message_timeout_ms=10_000,
        cluster_id=cluster_id,
        probe_interval_seconds=1.0,
        probe_timeout_seconds=1.0,
        health_max_pending_age=60.0,
    )


def _parts(publisher: FakePublisher, cluster_id: str | None = None) -> RelayParts:
    return RelayParts(
        options=_options(cluster_id),
        runtime=RuntimeOptions(),
        clients=_no_clients,
        publisher=publisher,  # type: ignore[arg-type]
        slot_publisher=FakePublisher([]),  # type: ignore[arg-type]
        broker_probe=BrokerProbe("127.0.0.1:9", 1.0, 1.0, expected_cluster_id=cluster_id),
    )


def _relay(publisher: FakePublisher, cluster_id: str | None = None) -> Relay:
    return Relay(_parts(publisher, cluster_id), relay_id="test")


@pytest.mark.parametrize("part", ["publisher", "slot_publisher", "broker_probe"])
def test_each_handed_part_tells_the_relay_of_an_outage(part: str) -> None:
    parts = _parts(FakePublisher([]), cluster_id="ours")
    relay = Relay(parts, relay_id="test")
    handed = getattr(parts, part)
    callback = handed.on_wrong_cluster if part == "broker_probe" else handed.on_broker_down
    assert not relay.outage
    callback()  # as the producer's delivery thread or the probe would
    assert relay.outage and relay.registry.get_sample_value("relay_broker_up") == 0


async def _deliver(relay: Relay, rows: list[ClaimedRow]) -> FakeStore:
    store = FakeStore()
    source = TableSource(store, relay.publisher, relay, 100, 2, 1.0)  # type: ignore[arg-type]
    await Delivery(source, relay).deliver(rows)
    return store


async def test_acknowledged_rows_are_sent_and_an_outage_releases_the_rest() -> None:
    relay = _relay(FakePublisher([None, TIMED_OUT, None]))
    rows = _rows(3)
    store = await _deliver(relay, rows)
    assert store.sent == [rows[0].id, rows[2].id]
    assert store.released == [rows[1].id]
    assert store.rejections == []
    assert relay.outage  # an unacknowledged message is the broker's failure, not the row's
    assert (relay.stats.published, relay.stats.released) == (2, 1)


@pytest.mark.parametrize(
    ("attempts", "failed", "delay"), [(0, False, 1.0), (2, False, 4.0), (3, True, 0.0)]
)
async def test_a_rejected_row_waits_its_backoff_then_fails(
    attempts: int, failed: bool, delay: float
) -> None:
    relay = _relay(FakePublisher([REJECTED]))
    [row] = _rows(1, attempts=attempts)
    store = await _deliver(relay, [row])
    assert store.sent == [] and store.released == []
    [decision] = store.rejections
    assert (decision["id"], decision["failed"], decision["delay"]) == (row.id, failed, delay)
    assert decision["error_class"] == REJECTED.name()
    assert not relay.outage  # poison is the row's, the broker is fine
    assert (relay.stats.failed, relay.stats.retried) == ((1, 0) if failed else (0, 1))


async def test_a_message_too_large_is_reported_with_its_size() -> None:
    relay = _relay(FakePublisher([TOO_LARGE]))
    [row] = _rows(1)
    store = await _deliver(relay, [row])
    assert "too large to publish" in store.rejections[0]["error"]


async def test_acknowledged_across_a_reconnection_to_another_cluster_is_not_sent() -> None:
    publisher = FakePublisher([None, None], problem="the broker is cluster other")
    publisher.disconnect_while_publishing = True
    relay = _relay(publisher, cluster_id="ours")
    rows = _rows(2)
    store = await _deliver(relay, rows)
    assert store.sent == [] and store.released == [r.id for r in rows]
    assert relay.outage


async def test_the_same_cluster_after_a_reconnection_keeps_the_acknowledgements() -> None:
    publisher = FakePublisher([None, None])
    publisher.disconnect_while_publishing = True
    relay = _relay(publisher, cluster_id="ours")
    rows = _rows(2)
    store = await _deliver(relay, rows)
    assert store.sent == [r.id for r in rows] and not relay.outage


class FakeMembers:
    """The membership row: each heartbeat answers the share it is given."""

    def __init__(self, share: Share) -> None:
        self.share = share
        self.beats = 0

    async def heartbeat(self) -> Share:
        self.beats += 1
        return self.share


async def test_the_relays_gauges_probe_and_heartbeat_are_declared_periodic_jobs() -> None:
    """Issue 75: the relay writes no loop of its own for its helpers; `runtime.periodic` runs
    them, each at its interval (the heartbeat four times per member TTL)."""
    relay = _relay(FakePublisher([]))
    members = FakeMembers(Share(0, 512, 2))
    relay._clients = RelayClients(None, None, members)  # type: ignore[arg-type]
    jobs = {job.name: job for job in relay.periodic_jobs()}
    assert {name: job.interval for name, job in jobs.items()} == {
        "relay gauges": 5.0,
        "broker probe": 1.0,
        "relay heartbeat": 2.5,
    }
    await jobs["relay heartbeat"].job()
    assert members.beats == 1 and relay.share == Share(0, 512, 2)
