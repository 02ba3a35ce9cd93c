"""The one delivery loop (relay/delivery.py) over any source (decision 3500): a source that is
neither the table nor the slot gets the same outage, refusal and counting rules, and the loop
stops taking batches while the broker is down."""

import asyncio
import uuid
from typing import Any

from confluent_kafka import KafkaError

from infinite_scribe.application.ports.relay import ClaimedRow
from infinite_scribe.relay.delivery import Acknowledged, Delivery, Refusal, RelayStats
from infinite_scribe.relay.metrics import RelayMetrics
from infinite_scribe.relay.outcome import BatchOutcome

REJECTED = KafkaError(KafkaError.INVALID_RECORD, "bad record")
TIMED_OUT = KafkaError(KafkaError._MSG_TIMED_OUT, "timed out")


class FakePublisher:
    def __init__(self, reports: list[KafkaError | None] | None) -> None:
        self.reports = reports
        self.disconnects = 0
        self.fatal = False
        self.started = True
        self.restarts = 0

    def restart(self) -> None:
        self.restarts += 1

    async def problem(self) -> str | None:
        return None


class ListSource:
    """Batches from a list; records what the loop told it."""

    name = "list"
    max_in_flight = 1
    probes_broker = True

    def __init__(self, batches: list[list[ClaimedRow]], publisher: FakePublisher) -> None:
        self.batches = batches
        self.publisher = publisher
        self.told: list[tuple[BatchOutcome | None, list[Refusal]]] = []
        self.closed = False

    async def next_batch(self) -> list[ClaimedRow] | None:
        return self.batches.pop(0) if self.batches else None

    def size(self, batch: list[ClaimedRow]) -> int:
        return len(batch)

    def full(self, batch: list[ClaimedRow]) -> bool:
        return False

    def rows(self, batch: list[ClaimedRow]) -> list[ClaimedRow]:
        return batch

    async def publish(self, batch: list[ClaimedRow]) -> list[KafkaError | None] | None:
        reports = self.publisher.reports
        return None if reports is None else reports[: len(batch)]

    async def acknowledge(
        self, batch: list[ClaimedRow], outcome: BatchOutcome | None, refusals: list[Refusal]
    ) -> Acknowledged:
        self.told.append((outcome, refusals))
        sent = len(batch) if outcome is None else len(outcome.sent)
        return Acknowledged(sent, 0 if outcome is None else len(outcome.released))

    async def idle(self, stop: asyncio.Event) -> None:
        if not self.batches:
            stop.set()  # the list is done

    def settled(self, batch: list[ClaimedRow] | None) -> None:
        pass

    async def close(self) -> None:
        self.closed = True


class Host:
    def __init__(self) -> None:
        self.outage = False
        self.stats = RelayStats()
        self.metrics = RelayMetrics()
        self.retry_backoff = (1.0, 2.0, 4.0)
        self.max_message_bytes = 1_000_000
        self.ups = 0

    def broker_down(self) -> None:
        self.outage = True

    def broker_up(self) -> None:
        self.outage = False
        self.ups += 1

    async def same_cluster(self, publisher: Any) -> bool:
        return True


def _rows(count: int) -> list[ClaimedRow]:
    return [ClaimedRow(uuid.uuid4(), n, "events", f"k{n}", 0, b"{}", []) for n in range(count)]


def _delivery(source: ListSource, host: Host) -> Delivery[list[ClaimedRow]]:
    return Delivery(source, host)  # type: ignore[arg-type]


async def test_a_batch_all_acknowledged_is_told_as_such_and_counted() -> None:
    source, host = ListSource([], FakePublisher(None)), Host()
    await _delivery(source, host).deliver(_rows(3))
    assert source.told == [(None, [])]
    assert host.stats.published == 3 and not host.outage


async def test_any_source_gets_the_refusal_rule_and_the_outage() -> None:
    source, host = ListSource([], FakePublisher([REJECTED, TIMED_OUT])), Host()
    rows = _rows(2)
    await _delivery(source, host).deliver(rows)
    [(outcome, [refusal])] = source.told
    assert outcome is not None and outcome.released == [rows[1]]
    assert (refusal.row, refusal.attempts, refusal.failed, refusal.delay) == (
        rows[0],
        1,
        False,
        1.0,
    )
    assert host.outage  # the timeout is the broker's
    assert (host.stats.retried, host.stats.released) == (1, 1)


async def test_the_loop_takes_no_batch_while_the_broker_is_down() -> None:
    publisher = FakePublisher(None)
    source, host = ListSource([_rows(1), _rows(1)], publisher), Host()
    host.outage = True
    delivery = _delivery(source, host)
    await delivery.run(asyncio.Event())
    # The outage first: a fresh producer, the broker asked, then both batches.
    assert publisher.restarts == 1 and host.ups == 1
    await delivery.drain(1.0)
    assert len(source.told) == 2 and source.closed
