"""A batch's delivery reports sorted key by key (issue 26): only the acknowledged prefix of a
key's rows is SENT; everything after its first failure waits behind it."""

import uuid

from confluent_kafka import KafkaError

from infinite_scribe.application.ports.relay import ClaimedRow
from infinite_scribe.kafka.producer import HELD_BEHIND
from infinite_scribe.relay.outcome import sort_reports

REJECTED = KafkaError(KafkaError.INVALID_RECORD, "bad record")
TIMED_OUT = KafkaError(KafkaError._MSG_TIMED_OUT, "timed out")
PURGED = KafkaError(KafkaError._PURGE_QUEUE, "purged")


def _row(key: str | None, position: int) -> ClaimedRow:
    return ClaimedRow(uuid.uuid4(), position, "events", key, 0, b"{}", [])


def test_every_acknowledged_row_is_sent() -> None:
    rows = [_row("a", 1), _row("a", 2), _row("b", 3), _row(None, 4)]
    outcome = sort_reports(rows, [None] * 4)
    assert outcome.sent == [row.id for row in rows]
    assert not (outcome.released or outcome.held or outcome.rejected or outcome.outage)


def test_a_rejected_row_holds_the_rest_of_its_key_only() -> None:
    a1, a2, a3, b1 = _row("a", 1), _row("a", 2), _row("a", 3), _row("b", 4)
    outcome = sort_reports([a1, a2, a3, b1], [None, REJECTED, HELD_BEHIND, None])
    assert outcome.sent == [a1.id, b1.id]
    assert outcome.rejected == [(a2, REJECTED)]
    assert outcome.held == [a3] and outcome.released == []
    assert outcome.overtaken == 0 and not outcome.outage


def test_a_row_acknowledged_after_its_keys_failure_is_not_sent() -> None:
    a1, a2, a3 = _row("a", 1), _row("a", 2), _row("a", 3)
    outcome = sort_reports([a1, a2, a3], [TIMED_OUT, None, None])
    assert outcome.sent == []
    assert outcome.released == [a1] and outcome.held == [a2, a3]
    assert outcome.overtaken == 2
    assert outcome.outage and outcome.release_reason is TIMED_OUT


def test_keyless_rows_stand_alone_and_a_purge_is_no_outage() -> None:
    n1, n2 = _row(None, 1), _row(None, 2)
    outcome = sort_reports([n1, n2], [PURGED, None])
    assert outcome.sent == [n2.id] and outcome.released == [n1] and outcome.held == []
    assert not outcome.outage
