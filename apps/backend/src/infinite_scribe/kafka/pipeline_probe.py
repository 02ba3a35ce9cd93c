"""The broker's side of the operator overview: the agent workers' consumer lag per partition,
the dead-letter topic's size and the consumer group's members. librdkafka calls block, so each
runs in a thread with a short timeout."""

import asyncio
import threading
from typing import Any

from confluent_kafka import Consumer, KafkaError, KafkaException, TopicPartition

from infinite_scribe.application.ports.operator import PartitionLag
from infinite_scribe.kafka.admin import admin_client
from infinite_scribe.kafka.dead_letters import dead_letter_topic
from infinite_scribe.kafka.release import SharedAdmin
from infinite_scribe.settings.kafka import KafkaConnection, client_config

TIMEOUT = 3.0
#: Shown when the group committed past the log's end: the embedded broker keeps its log in
#: memory, so a restart leaves it shorter than what the workers had already consumed.
PAST_THE_END = (
    "the broker's log ends before the committed offset: it restarted (the embedded broker "
    "keeps messages in memory), so nothing is waiting"
)


def partition_lag(partition: int, committed: int | None, end: int) -> PartitionLag:
    """Messages the group has not consumed: a group that never committed owes the whole
    log; one that committed past the end owes nothing, and says why."""
    if committed is not None and committed > end:
        return PartitionLag(partition, committed, end, 0, PAST_THE_END)
    return PartitionLag(partition, committed, end, end - (committed or 0))


class KafkaPipelineProbe:
    def __init__(self, cluster: KafkaConnection, topic: str, group: str) -> None:
        self.cluster = cluster
        self.topic = topic
        self.group = group
        # One admin client for the probe's life (the overview polls every 2 s), made at the first
        # call and released by `close` once the calls in progress end.
        self._admin: SharedAdmin | None = None
        self._made = threading.Lock()
        self._closed = False

    def close(self) -> None:
        """Release the admin client (blocks while a call runs: call it off the loop)."""
        with self._made:
            self._closed = True
            admin = self._admin
        if admin is not None:
            admin.release()

    def _shared(self) -> SharedAdmin:
        with self._made:
            if self._closed:
                raise KafkaException(KafkaError(KafkaError._DESTROY, "released"))
            if self._admin is None:
                self._admin = SharedAdmin(admin_client(self.cluster))
            return self._admin

    async def lag(self) -> list[PartitionLag]:
        return await asyncio.to_thread(self._lag)

    async def dead_letter_count(self) -> int:
        return await asyncio.to_thread(self._size, dead_letter_topic(self.topic))

    async def workers(self) -> list[str]:
        return await asyncio.to_thread(self._members)

    def _consumer(self, group: str) -> Consumer:
        # Never subscribes, so it never joins (or disturbs) the workers' group: it only reads
        # the group's committed offsets and the partitions' end offsets.
        owned = {"group.id": group, "enable.auto.commit": False}
        return Consumer(
            client_config(self.cluster, defaults={"socket.timeout.ms": 2000}, owned=owned)
        )

    def _partitions(self, consumer: Consumer, topic: str) -> list[TopicPartition]:
        metadata = consumer.list_topics(topic, timeout=TIMEOUT)
        found = metadata.topics.get(topic)
        if found is None or found.error is not None:
            return []
        return [TopicPartition(topic, p) for p in sorted(found.partitions)]

    def _lag(self) -> list[PartitionLag]:
        consumer = self._consumer(self.group)
        try:
            partitions = self._partitions(consumer, self.topic)
            committed = consumer.committed(partitions, timeout=TIMEOUT) if partitions else []
            result = []
            for position in committed:
                _low, high = consumer.get_watermark_offsets(position, timeout=TIMEOUT)
                done = position.offset if position.offset >= 0 else None
                result.append(partition_lag(position.partition, done, high))
            return result
        finally:
            consumer.close()

    def _size(self, topic: str) -> int:
        consumer = self._consumer("scribe-console-probe")
        try:
            total = 0
            for partition in self._partitions(consumer, topic):
                low, high = consumer.get_watermark_offsets(partition, timeout=TIMEOUT)
                total += max(high - low, 0)
            return total
        finally:
            consumer.close()

    def _members(self) -> list[str]:
        with self._shared().using() as admin:
            futures: dict[str, Any] = admin.describe_consumer_groups(
                [self.group], request_timeout=TIMEOUT
            )
            description = futures[self.group].result(timeout=TIMEOUT)
        return [f"{m.client_id} ({m.host})" for m in description.members]
