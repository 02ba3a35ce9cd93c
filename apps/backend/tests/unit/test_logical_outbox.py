"""The logical outbox's pure parts (decision 2600): pgoutput records parsed into messages, and a
bulk batch's failure reports placed on its messages."""

import asyncio
import struct
import threading
from types import SimpleNamespace

import orjson
from confluent_kafka import KafkaError

from infinite_scribe.kafka.bulk_producer import BulkPublisher, _Reports
from infinite_scribe.persistence.outbox.rows import MESSAGE_PREFIX
from infinite_scribe.persistence.outbox.slot import (
    POSITION_HEADER,
    SlotMessage,
    messages_of,
    position_of,
)
from infinite_scribe.persistence.outbox.slot_stream import SlotStream, _Parts

TIMED_OUT = KafkaError(KafkaError._MSG_TIMED_OUT, "timed out")


def _message(prefix: str, content: bytes) -> bytes:
    """A pgoutput 'M' record: flags, lsn, prefix NUL, length, content."""
    return (
        b"M"
        + b"\x01"
        + struct.pack(">Q", 42)
        + prefix.encode()
        + b"\0"
        + struct.pack(">i", len(content))
        + content
    )


def _content(topic: str, key: str | None, event_id: str, value: bytes) -> bytes:
    line = orjson.dumps([topic, key, {"ce_id": event_id, "ce_specversion": "1.0"}])
    return line + b"\n" + value


def test_only_the_outbox_messages_are_read_in_order() -> None:
    value = b'{"text": "a line\\nand another"}'  # a newline inside the envelope stays
    records = [
        b"B" + bytes(20),
        _message(MESSAGE_PREFIX, _content("events", "k1", "e1", value)),
        _message("someone-else", b"ignored"),
        _message(MESSAGE_PREFIX, _content("events", None, "e2", b"{}")),
        b"C" + bytes(25),
    ]
    messages = messages_of(records)
    assert messages == [
        SlotMessage("events", "k1", {"ce_id": "e1", "ce_specversion": "1.0"}, value),
        SlotMessage("events", None, {"ce_id": "e2", "ce_specversion": "1.0"}, b"{}"),
    ]
    assert messages[0].event_id == "e1"


def test_each_message_carries_its_position_in_the_slot() -> None:
    records = [_message(MESSAGE_PREFIX, _content("events", "k1", "e1", b"{}"))]
    (message,) = messages_of(records, position_of(0x1_0000_002A))
    assert message.headers[POSITION_HEADER] == bytes.fromhex("000000010000002a")
    assert position_of(7) < position_of(256)  # bytes order is LSN order


def _bulk() -> BulkPublisher:
    return BulkPublisher("127.0.0.1:9")


def test_failures_are_placed_on_their_messages_by_value() -> None:
    bulk = _bulk()
    rows = [SlotMessage("t", f"k{n}", {}, f"v{n}".encode()) for n in range(3)]
    bulk._failures = {b"v1": TIMED_OUT}
    assert bulk._results(rows, {}) == [None, TIMED_OUT, None]


def test_a_failure_that_matches_no_message_fails_the_whole_batch() -> None:
    bulk = _bulk()
    rows = [SlotMessage("t", "k", {}, b"v0")]
    bulk._failures = {b"somewhere else": TIMED_OUT}
    assert bulk._results(rows, {}) == [TIMED_OUT]


class _Cursor:
    """pgoutput records as psycopg2's replication cursor hands them over, then nothing."""

    def __init__(self, records: list[bytes]) -> None:
        self.records = records

    def read_message(self) -> SimpleNamespace | None:
        return SimpleNamespace(payload=self.records.pop(0)) if self.records else None


def _begin(commit_lsn: int, xid: int) -> bytes:
    return b"B" + struct.pack(">QqI", commit_lsn, 0, xid)


def _commit(end_lsn: int) -> bytes:
    return b"C" + b"\0" + struct.pack(">QQq", end_lsn - 8, end_lsn, 0)


async def test_a_large_transaction_is_handed_over_in_parts_confirmable_only_at_its_end() -> None:
    stream = SlotStream("postgresql://127.0.0.1:1/none", part_size=2)  # port 1: it only retries
    try:
        outbox = [_message(MESSAGE_PREFIX, _content("t", "k", f"e{n}", b"{}")) for n in range(5)]
        records = [_begin(1000, 7), *outbox[:3], _message("other", b"x"), *outbox[3:]]
        records += [_commit(1010), _begin(2000, 8), _commit(2010)]
        parts = _Parts(stream, generation=0, connection=0)
        assert parts.read(_Cursor(records))  # type: ignore[arg-type]
        assert not parts.read(_Cursor([]))  # type: ignore[arg-type]
        await asyncio.sleep(0)  # the hand-overs are the loop's callbacks
        got = await stream.batch(limit=100, wait_seconds=1)
        assert got is not None
        assert [[m.event_id for m in p.messages] for p in got] == [
            ["e0", "e1"],
            ["e2", "e3"],
            ["e4"],
            [],  # a transaction with no outbox message: confirmable all the same
        ]
        assert [p.end_lsn for p in got] == [0, 0, 1010, 2010]  # only a whole one is confirmed
        assert [p.xid for p in got] == [7, 7, 7, 8]
        assert got[0].messages[0].headers[POSITION_HEADER] == position_of(1001)
    finally:
        stream.close()


async def test_a_batch_is_done_once_every_report_came_before_or_after_it_was_produced() -> None:
    """The poll thread counts the reports while the loop may still be producing: a race, run
    for real. Every round must resolve, whichever of the two sees the last count."""
    loop = asyncio.get_running_loop()
    for round_ in range(400):
        reports, count, go = _Reports(loop), round_ % 7, threading.Event()

        def poll(reports: _Reports = reports, count: int = count, go: threading.Event = go) -> None:
            go.wait()
            for _ in range(count):
                reports.report(None, None)

        thread = threading.Thread(target=poll)
        thread.start()
        go.set()
        if round_ % 3 == 0:
            thread.join()  # every report before the batch is said produced
        reports.expect(count)
        thread.join()
        await asyncio.wait_for(asyncio.shield(reports.done), 2)


async def test_a_batch_waits_for_its_last_report_and_keeps_its_failures() -> None:
    reports = _Reports(asyncio.get_running_loop())
    reports.report(None, None)
    reports.expect(3)
    reports.report(TIMED_OUT, SimpleNamespace(value=lambda: b"v1"))
    await asyncio.sleep(0.01)
    assert not reports.done.done()
    reports.report(None, None)
    await asyncio.wait_for(asyncio.shield(reports.done), 2)
    assert reports.failures == {b"v1": TIMED_OUT}
