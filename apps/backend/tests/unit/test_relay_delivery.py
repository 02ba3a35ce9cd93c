"""The relay's delivery decisions with fakes at its ports (issue 25): what a batch's delivery
reports become in the outbox: acknowledged rows SENT, an outage's rows released (and the broker
marked down), a rejected row retried after its backoff or FAILED once the backoff is spent, a
batch acknowledged across a reconnection to another cluster not marked SENT."""

import uuid
from collections.abc import Sequence
from typing import Any

import pytest
from confluent_kafka import KafkaError

from infinite_scribe.application.ports.relay import ClaimedRow
from infinite_scribe.relay.service import Relay
from infinite_scribe.settings.settings import Settings

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


def _relay(publisher: FakePublisher, **settings: Any) -> Relay:
    config = Settings(
        database_url="postgresql://unused/db",
        kafka_bootstrap_servers="127.0.0.1:9",
        relay_retry_backoff="1,2,4",
        **settings,
    )
    relay = Relay(config, relay_id="test")
    relay.publisher = publisher  # type: ignore[assignment]
    return relay


async def _deliver(relay: Relay, rows: list[ClaimedRow]) -> FakeStore:
    store = FakeStore()
    await relay._deliver(store, rows)  # type: ignore[arg-type]
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
    relay = _relay(publisher, kafka_cluster_id="ours")
    rows = _rows(2)
    store = await _deliver(relay, rows)
    assert store.sent == [] and store.released == [r.id for r in rows]
    assert relay.outage


async def test_the_same_cluster_after_a_reconnection_keeps_the_acknowledgements() -> None:
    publisher = FakePublisher([None, None])
    publisher.disconnect_while_publishing = True
    relay = _relay(publisher, kafka_cluster_id="ours")
    rows = _rows(2)
    store = await _deliver(relay, rows)
    assert store.sent == [r.id for r in rows] and not relay.outage
