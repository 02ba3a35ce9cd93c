"""Resume the slot from what the broker holds (decision 4004).

The slot is confirmed once the broker acknowledged a batch, so after a kill -9, a take-over by
another relay or an outage, the stream starts again at the slot's confirmed point and hands over
again the batch that was in flight: published, maybe, but not confirmed. Each slot message
carries its position (`scribe_slot_lsn`, its transaction's end LSN); before producing the first
batches of a new stream, the reader reads the tail of each partition of their topics back to
the confirmed point (and past the reported high watermark, which a broker may report behind its
newest appends) and skips the messages whose event id is already there. Only a message
found on the broker is skipped, so a wrong guess costs a duplicate, never a loss. Reading stops
at the confirmed point or after `MAX_BACK` messages per partition (then: duplicates).
"""

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field

from confluent_kafka import Consumer, KafkaError, KafkaException, TopicPartition

from infinite_scribe.persistence.outbox import slot
from infinite_scribe.settings.kafka import KafkaConnection, client_config

logger = logging.getLogger(__name__)

#: Messages read back per partition at most (the in-flight batch is far smaller).
MAX_BACK = 50_000
_CHUNK = 2_000
_TIMEOUT = 10.0
#: No message past the high watermark within this: there is none.
_QUIET = 0.3


@dataclass
class Delivered:
    """What the broker holds past the confirmed point: event ids, and the furthest position."""

    confirmed: int
    ids: set[bytes] = field(default_factory=set)
    furthest: int = 0
    topics: set[str] = field(default_factory=set)
    skipped: int = 0


def read_back(kafka: KafkaConnection, topics: Iterable[str], found: Delivered) -> None:
    """Add to `found` the slot messages of `topics` past `found.confirmed` (blocking: run it
    in a thread)."""
    consumer = Consumer(
        client_config(
            kafka,
            owned={
                "group.id": "scribe-relay-resume",
                "enable.auto.commit": False,
                "fetch.wait.max.ms": 20,  # the tail is there already: do not wait for more
            },
        )
    )
    try:
        marks = _watermarks(consumer, topics, found)
        # All partitions at once: the wait for "nothing more" is paid once, not per partition.
        starts = [TopicPartition(t, p, high) for (t, p), (_, high) in marks.items()]
        _past_high(consumer, starts, found)
        for (topic, partition), (low, high) in marks.items():
            _partition_back(consumer, TopicPartition(topic, partition), low, high, found)
    finally:
        consumer.close()


def _watermarks(
    consumer: Consumer, topics: Iterable[str], found: Delivered
) -> dict[tuple[str, int], tuple[int, int]]:
    """(low, high) of every partition of `topics` (a topic not created yet has none)."""
    marks: dict[tuple[str, int], tuple[int, int]] = {}
    for topic in topics:
        found.topics.add(topic)
        metadata = consumer.list_topics(topic, timeout=_TIMEOUT).topics.get(topic)
        if metadata is None or metadata.error is not None:
            continue  # no such topic yet: nothing of it was delivered
        for partition in metadata.partitions:
            where = TopicPartition(topic, partition)
            marks[topic, partition] = consumer.get_watermark_offsets(where, timeout=_TIMEOUT)
    return marks


def _partition_back(
    consumer: Consumer, where: TopicPartition, low: int, high: int, found: Delivered
) -> None:
    """Read one partition backwards until a message at or before the confirmed point: its last
    message first (usually confirmed already: then that is all), then in chunks."""
    end, size = high, 1
    while end > low and high - end < MAX_BACK:
        start = max(low, end - size)
        if _chunk(consumer, TopicPartition(where.topic, where.partition, start), end, found):
            return
        end, size = start, _CHUNK


def _past_high(consumer: Consumer, starts: list[TopicPartition], found: Delivered) -> None:
    """Whatever lies past the reported high watermarks: a broker may report one behind its
    latest appends (the newest messages are the likeliest to have been in flight)."""
    if not starts:
        return
    consumer.assign(starts)
    while batch := consumer.consume(500, timeout=_QUIET):
        for message in batch:
            if message.error() is None:
                headers = message.headers() or []
                _note(headers if isinstance(headers, list) else [], found)


def _chunk(consumer: Consumer, start: TopicPartition, end: int, found: Delivered) -> bool:
    """Read [start, end); True when it reached a message at or before the confirmed point."""
    consumer.assign([start])
    reached, offset = False, start.offset
    while offset < end:
        batch = consumer.consume(min(500, end - offset), timeout=_TIMEOUT)
        if not batch:
            raise KafkaException(KafkaError(KafkaError._TIMED_OUT, "partition tail not read"))
        for message in batch:
            if message.error() is not None:
                raise KafkaException(message.error())
            offset = (message.offset() or offset) + 1
            headers = message.headers() or []
            reached |= _note(headers if isinstance(headers, list) else [], found)
    return reached


def _note(headers: list[tuple[str, str | bytes | None]], found: Delivered) -> bool:
    """Record one message; True when it lies at or before the confirmed point."""
    position = event_id = None
    for name, value in headers:
        if name == slot.POSITION_HEADER:
            position = value
        elif name == "ce_id":
            event_id = value
    if not isinstance(position, bytes) or len(position) != 8:
        return False  # the table relay's, or not ours: keep reading back
    lsn = int.from_bytes(position, "big")
    if lsn <= found.confirmed:
        return True
    if isinstance(event_id, bytes):
        found.ids.add(event_id)
        found.furthest = max(found.furthest, lsn)
    return False
