"""Issue 21, defect 7: `scribe worker dlq replay` run as a real process against the test broker
and database. A letter without the dead-letter headers is refused and reported, the valid
ones are replayed (one that is no generation request is published again); a malformed
`--position` says "bad format". A failed generation re-driven:
agents/test_dead_letter_redrive.py."""

import os
import subprocess
import sys
import time
import uuid

import pytest
from confluent_kafka import OFFSET_BEGINNING, Consumer, Producer, TopicPartition

from infinite_scribe.kafka.admin import ensure_topic
from infinite_scribe.kafka.dead_letters import dead_letter_topic

pytestmark = pytest.mark.slow


def _scribe(
    servers: str, topic: str, *args: str, database: str = ""
) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, KAFKA_BOOTSTRAP_SERVERS=servers, KAFKA_TOPIC=topic)
    env |= {"DATABASE_URL": database} if database else {}
    command = [sys.executable, "-m", "infinite_scribe.cli", "worker", "dlq", *args]
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)


def _values(servers: str, topic: str, expected: int, timeout: float = 20) -> list[bytes]:
    """Every message of `topic` (one partition), read by assignment, until `expected` came."""
    consumer = Consumer({"bootstrap.servers": servers, "group.id": f"t-{uuid.uuid4().hex}"})
    consumer.assign([TopicPartition(topic, 0, OFFSET_BEGINNING)])
    values: list[bytes] = []
    deadline = time.monotonic() + timeout
    try:
        while len(values) < expected and time.monotonic() < deadline:
            message = consumer.poll(0.2)
            if message is not None and message.error() is None:
                values.append(message.value())
    finally:
        consumer.close()
    return values


def test_replay_all_refuses_a_letter_without_headers_and_replays_the_others(
    kafka_bootstrap: str, database_url: str
) -> None:
    topic = f"dlq-replay-{uuid.uuid4().hex[:8]}"
    ensure_topic(kafka_bootstrap, topic, 1)
    ensure_topic(kafka_bootstrap, dead_letter_topic(topic), 1)
    producer = Producer({"bootstrap.servers": kafka_bootstrap})
    # Offset 0: produced by hand, no dead-letter headers. Offset 1: a real dead letter.
    producer.produce(dead_letter_topic(topic), key=b"k", value=b"hand-made")
    headers = [("dlq_original_topic", topic.encode()), ("dlq_error_class", b"X")]
    producer.produce(dead_letter_topic(topic), key=b"k", value=b"valid", headers=headers)
    assert producer.flush(10) == 0

    replayed = _scribe(kafka_bootstrap, topic, "replay", "--all", database=database_url)

    assert replayed.returncode == 1, replayed.stdout + replayed.stderr
    assert "replayed 1 dead letter(s), refused 1" in replayed.stdout
    assert "0:0 refused: no dlq_original_topic header" in replayed.stderr
    assert "0:1 republished: published again to its original topic" in replayed.stdout
    assert "Traceback" not in replayed.stderr
    assert _values(kafka_bootstrap, topic, 1) == [b"valid"]
    # The replayed letter is settled: a second run replays nothing more.
    again = _scribe(kafka_bootstrap, topic, "replay", "--position", "0:1", database=database_url)
    assert again.returncode == 1 and "0:1 skipped" in again.stderr, again.stdout + again.stderr


@pytest.mark.parametrize("position", ["abc", "1", "1:x", ":3"])
def test_a_malformed_position_is_a_bad_format(kafka_bootstrap: str, position: str) -> None:
    answer = _scribe(kafka_bootstrap, "domain-events", "replay", "--position", position)
    assert answer.returncode == 2, answer.stdout + answer.stderr
    assert f"bad format: {position}" in answer.stderr
