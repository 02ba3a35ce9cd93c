"""The operator overview's consumer lag against the real broker (issue 56): a committed offset
past the partition's end (the embedded broker keeps its log in memory, so a restart shortens
it) is lag 0 with its reason, not "unknown"."""

import asyncio
import uuid

import pytest
from confluent_kafka import Consumer, TopicPartition

from infinite_scribe.application.ports.operator import PartitionLag
from infinite_scribe.kafka.admin import ensure_topic
from infinite_scribe.kafka.pipeline_probe import KafkaPipelineProbe, partition_lag
from infinite_scribe.settings.kafka import KafkaConnection

pytestmark = pytest.mark.kafka


def _commit(servers: str, topic: str, group: str, offsets: dict[int, int]) -> None:
    consumer = Consumer({"bootstrap.servers": servers, "group.id": group})
    try:
        positions = [TopicPartition(topic, p, o) for p, o in offsets.items()]
        consumer.commit(offsets=positions, asynchronous=False)
    finally:
        consumer.close()


async def test_a_committed_offset_past_the_end_is_no_lag_with_its_reason(
    kafka_bootstrap: str,
) -> None:
    topic, group = f"lag-{uuid.uuid4().hex[:8]}", f"lag-group-{uuid.uuid4().hex[:8]}"
    await asyncio.to_thread(ensure_topic, kafka_bootstrap, topic, 2)
    # The broker "restarted": the group's committed offsets are past the (empty) log's end.
    await asyncio.to_thread(_commit, kafka_bootstrap, topic, group, {0: 31, 1: 64})
    probe = KafkaPipelineProbe(KafkaConnection(kafka_bootstrap), topic, group)
    lag = {p.partition: p for p in await probe.lag()}
    assert {p: (v.committed, v.end, v.lag) for p, v in lag.items()} == {
        0: (31, 0, 0),
        1: (64, 0, 0),
    }
    assert all(v.note and "restarted" in v.note for v in lag.values())


def test_lag_is_the_distance_to_the_end_and_a_group_that_never_committed_is_all_of_it() -> None:
    assert partition_lag(0, 5, 9) == PartitionLag(0, 5, 9, 4)
    assert partition_lag(1, None, 9) == PartitionLag(1, None, 9, 9)
    assert partition_lag(2, 9, 9).note is None
    past = partition_lag(3, 31, 29)
    assert (past.lag, past.committed, past.end) == (0, 31, 29) and past.note
