"""Drafts between processes: agent workers publish what a model has written so far to a
short-retention topic (`<KAFKA_TOPIC>.drafts`, keyed by session); every API process reads the
whole topic from its end and hands each draft to its stream hub. Drafts are ephemeral: not
domain events, not in the outbox, never in the database; a lost one is replaced by the next
(docs/decisions/1800-drafts-over-a-kafka-topic.md).
"""

import asyncio
import json
import logging
import threading
import uuid
from collections.abc import Callable
from typing import Any

from confluent_kafka import OFFSET_END, Consumer, KafkaException, Producer, TopicPartition
from confluent_kafka.admin import NewTopic

from infinite_scribe.application.ports.stream import Draft
from infinite_scribe.kafka.admin import admin_client
from infinite_scribe.kafka.release import release_producer
from infinite_scribe.settings.kafka import FETCH_WAIT_MS, KafkaConnection, client_config

logger = logging.getLogger(__name__)


def drafts_topic(events_topic: str) -> str:
    """The drafts topic beside the events topic (`KAFKA_TOPIC`)."""
    return f"{events_topic}.drafts"


def ensure_drafts_topic(
    cluster: KafkaConnection, topic: str, partitions: int, replication: int, retention_ms: int
) -> None:
    """Create the drafts topic with a short retention unless it exists."""
    with admin_client(cluster) as admin:
        if topic in admin.list_topics(timeout=10).topics:
            return
        config = {"retention.ms": str(retention_ms), "cleanup.policy": "delete"}
        for attempt in (config, {}):  # a broker that refuses the config still gets the topic
            new = NewTopic(
                topic, num_partitions=partitions, replication_factor=replication, config=attempt
            )
            future = admin.create_topics([new], operation_timeout=10)[topic]
            try:
                future.result(10)
                return
            except KafkaException as error:
                if "already exists" in str(error) or "TOPIC_ALREADY_EXISTS" in str(error):
                    return
                logger.warning("drafts topic not created with %s: %s", attempt or "defaults", error)
    raise RuntimeError(f"cannot create the drafts topic {topic}")


class DraftPublisher:
    """The worker side: fire and forget (a full queue drops the draft; the next replaces it)."""

    def __init__(self, cluster: KafkaConnection, topic: str) -> None:
        self.topic = topic
        self._producer = Producer(
            client_config(
                cluster,
                defaults={"linger.ms": 5, "acks": 1, "queue.buffering.max.messages": 100_000},
                owned={"enable.idempotence": False},
            )
        )

    def publish(self, session_id: str, task_id: str, sequence: int, body: dict[str, Any]) -> None:
        value = json.dumps(
            {"task_id": task_id, "session_id": session_id, "sequence": sequence} | body,
            ensure_ascii=False,
        ).encode()
        try:
            self._producer.produce(self.topic, key=session_id.encode(), value=value)
        except (BufferError, KafkaException) as error:
            logger.debug("draft dropped: %s", error)
        self._producer.poll(0)

    def close(self) -> None:
        release_producer(self._producer, 2)


class KafkaDraftSource:
    """The API side (`DraftSource`): one thread reads every partition from its end, without a
    consumer group (each API process wants all drafts), and hands drafts to the event loop."""

    def __init__(
        self, cluster: KafkaConnection, topic: str, ensure: Callable[[], None] | None = None
    ) -> None:
        self.cluster = cluster
        self.topic = topic
        #: Creates the topic if it is missing (called on the thread, before reading).
        self.ensure = ensure
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._deliver: Callable[[Draft], None] | None = None

    def start(self, deliver: Callable[[Draft], None]) -> None:
        self._loop, self._deliver = asyncio.get_running_loop(), deliver
        self._thread = threading.Thread(target=self._run, name="draft-source", daemon=True)
        self._thread.start()

    async def stop(self) -> None:
        self._stopping.set()
        if self._thread is not None:
            await asyncio.to_thread(self._thread.join, 5)

    def _run(self) -> None:
        while not self._stopping.is_set():
            try:
                if self.ensure is not None:
                    self.ensure()
                self._consume()
            except Exception as error:  # broker away: try again, the stream goes on without
                if self._stopping.is_set():
                    # A call that outlived `stop`'s wait (the topic's check waits up to 10 s
                    # for a broker gone away): the process or test has moved on, say nothing.
                    return
                logger.warning("draft source failed (%s); retrying", error)
                self._stopping.wait(1.0)

    def _consume(self) -> None:
        consumer = Consumer(
            client_config(
                self.cluster,
                defaults={"fetch.wait.max.ms": FETCH_WAIT_MS},
                owned={
                    "group.id": f"drafts-{uuid.uuid4().hex}",  # never joined: assign() only
                    "enable.auto.commit": False,
                    "enable.partition.eof": False,
                },
            )
        )
        try:
            topic = consumer.list_topics(self.topic, timeout=5).topics[self.topic]
            if topic.error is not None or not topic.partitions:
                raise RuntimeError(f"no drafts topic yet ({topic.error})")
            consumer.assign([TopicPartition(self.topic, p, OFFSET_END) for p in topic.partitions])
            while not self._stopping.is_set():
                drafts = [d for m in consumer.consume(500, 0.1) if (d := _draft(m)) is not None]
                if drafts and self._loop is not None:
                    self._loop.call_soon_threadsafe(self._hand_over, drafts)
        finally:
            consumer.close()

    def _hand_over(self, drafts: list[Draft]) -> None:
        assert self._deliver is not None
        for draft in drafts:
            self._deliver(draft)


def _draft(message: Any) -> Draft | None:
    if message.error() is not None:
        return None
    try:
        data = message.value()
        body = json.loads(data)
        return Draft(str(body["session_id"]), str(body["task_id"]), int(body["sequence"]), data)
    except (ValueError, KeyError, TypeError):
        return None  # not ours to judge: a stray message on the topic is skipped
