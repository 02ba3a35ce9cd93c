"""The dead-letter topic: where a message goes when it cannot be handled, with headers naming
the error and where it came from; and the operator's tools to list and replay it."""

import asyncio
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from confluent_kafka import (
    OFFSET_BEGINNING,
    Consumer,
    KafkaError,
    Message,
    Producer,
    TopicPartition,
)

from infinite_scribe.kafka.consumer import Delivery
from infinite_scribe.kafka.release import release_producer
from infinite_scribe.settings.kafka import KafkaConnection, client_config

#: A bootstrap list, or the cluster with its client options (Settings.kafka_connection()).
Cluster = str | KafkaConnection
#: What the dead-letter producers must have: the original's headers and order, no duplicates.
_PRODUCER = {"enable.idempotence": True, "acks": "all"}

#: Headers this module adds (a replay strips them again).
PREFIX = "dlq_"


def dead_letter_topic(topic: str) -> str:
    return f"{topic}.dlq"


Headers = list[tuple[str, str | bytes | None]]


def dead_letter_headers(delivery: Delivery, group: str, error_class: str, error: str) -> Headers:
    own = {
        "dlq_error_class": error_class,
        "dlq_error": error[:2000],
        "dlq_original_topic": delivery.topic,
        "dlq_original_partition": str(delivery.partition),
        "dlq_original_offset": str(delivery.offset),
        "dlq_consumer_group": group,
        "dlq_failed_at": f"{time.time():.3f}",
    }
    original: Headers = [(k, v) for k, v in delivery.headers.items() if not k.startswith(PREFIX)]
    return original + [(name, value.encode()) for name, value in own.items()]


class DeadLetters:
    """Copies failed messages to the dead-letter topic and waits for the broker's ack."""

    def __init__(self, cluster: Cluster, group: str, extra: dict[str, Any] | None = None) -> None:
        self.group = group
        self.producer = Producer(client_config(cluster, owned=_PRODUCER | (extra or {})))

    async def send(self, delivery: Delivery, error_class: str, error: str) -> None:
        loop = asyncio.get_running_loop()
        done: asyncio.Future[None] = loop.create_future()

        def report(failure: KafkaError | None, _message: Message) -> None:
            outcome = RuntimeError(str(failure)) if failure is not None else None
            loop.call_soon_threadsafe(_settle, done, outcome)

        self.producer.produce(
            dead_letter_topic(delivery.topic),
            key=delivery.key,
            value=delivery.value,
            headers=dead_letter_headers(delivery, self.group, error_class, error),
            on_delivery=report,
        )
        while not done.done():
            await asyncio.to_thread(self.producer.poll, 0.05)
        await done

    def close(self) -> None:
        release_producer(self.producer, 5)


def _settle(future: "asyncio.Future[None]", error: BaseException | None) -> None:
    if future.done():
        return
    if error is None:
        future.set_result(None)
    else:
        future.set_exception(error)


@dataclass(frozen=True)
class DeadLetter:
    partition: int
    offset: int
    key: str | None
    headers: dict[str, str]
    value: bytes | None

    @property
    def error(self) -> str:
        return f"{self.headers.get('dlq_error_class')}: {self.headers.get('dlq_error')}"

    @property
    def position(self) -> str:
        return f"{self.partition}:{self.offset}"

    @property
    def original_topic(self) -> str | None:
        """Where the message came from; None for a message not written by `DeadLetters`
        (someone produced to the topic by hand): it cannot be replayed."""
        return self.headers.get("dlq_original_topic") or None


def read_dead_letters(
    cluster: Cluster, topic: str, idle_seconds: float = 1.5
) -> Iterator[DeadLetter]:
    """Every message of the dead-letter topic of `topic`, read by assigning its partitions
    (no group join, nothing committed); stops after `idle_seconds` without a message."""
    source = dead_letter_topic(topic)
    consumer = Consumer(client_config(cluster, owned={"group.id": "scribe-dlq-reader"}))
    try:
        metadata = consumer.list_topics(source, timeout=5)
        partitions = metadata.topics[source].partitions if source in metadata.topics else {}
        consumer.assign([TopicPartition(source, p, OFFSET_BEGINNING) for p in partitions])
        last = time.monotonic()
        while partitions and time.monotonic() - last < idle_seconds:
            message = consumer.poll(0.2)
            if message is None or message.error() is not None:
                continue
            last = time.monotonic()
            delivery = Delivery.of(message)
            headers = {k: v.decode("utf-8", "replace") for k, v in delivery.headers.items()}
            key = delivery.key.decode("utf-8", "replace") if delivery.key else None
            yield DeadLetter(delivery.partition, delivery.offset, key, headers, delivery.value)
    finally:
        consumer.close()


def replay_dead_letters(cluster: Cluster, letters: list[DeadLetter]) -> int:
    """Produce each letter again to its original topic, its own headers restored; letters
    without one are skipped (see `DeadLetter.original_topic`). Returns how many were acked."""
    letters = [letter for letter in letters if letter.original_topic is not None]
    producer = Producer(client_config(cluster, owned=_PRODUCER))
    for letter in letters:
        headers: Headers = [
            (k, v.encode()) for k, v in letter.headers.items() if not k.startswith(PREFIX)
        ]
        headers.append(("dlq_replayed_from", letter.position))
        producer.produce(
            letter.headers["dlq_original_topic"],  # present: filtered above
            key=letter.key,
            value=letter.value,
            headers=headers,
        )
    remaining = producer.flush(10)
    release_producer(producer, 0)
    return len(letters) - remaining
