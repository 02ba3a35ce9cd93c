"""A large transaction through the slot (issue 53, decision 5300): the stream thread hands it to
the relay in parts, produced as they are read; the slot is confirmed only past its end, and a
relay killed in the middle resumes from what the broker holds (relay/resume.py)."""

import signal
import subprocess
import time
import uuid

import asyncpg
import pytest
from confluent_kafka import Consumer, TopicPartition

from infinite_scribe.persistence.outbox import slot
from infinite_scribe.settings.settings import Settings
from tests.support.relay import (
    ACTIVE,
    CONFIRMED,
    consume,
    duplicates_of_all_in_order,
    envelope,
    new_topic,
    start_relay_process,
    stop_relay_process,
    wait_for,
)

pytestmark = [pytest.mark.kafka, pytest.mark.slow]

#: Every event in one commit, as the write path emits them.
EMIT_ALL = (
    "SELECT count(pg_logical_emit_message(true, 'infinite-scribe.outbox', outbox_message($1, e))) "
    "FROM unnest($2::jsonb[]) WITH ORDINALITY AS t(e, n)"
)
PARTITIONS = 3


def on_the_broker(servers: str, topic: str) -> int:
    """Messages the broker holds on `topic` (its partitions' high watermarks)."""
    consumer = Consumer({"bootstrap.servers": servers, "group.id": f"t-{uuid.uuid4().hex}"})
    try:
        return sum(
            consumer.get_watermark_offsets(TopicPartition(topic, p), timeout=10)[1]
            for p in range(PARTITIONS)
        )
    finally:
        consumer.close()


def kill_once_some_are_out(relay: subprocess.Popen[bytes], servers: str, topic: str) -> int:
    """kill -9 the relay once the broker holds some of the transaction; how many it held."""
    deadline = time.monotonic() + 60
    try:
        while on_the_broker(servers, topic) < 400 and time.monotonic() < deadline:
            time.sleep(0.02)
    finally:
        relay.send_signal(signal.SIGKILL)
        relay.wait(10)
    return on_the_broker(servers, topic)


async def test_a_large_transaction_killed_midway_resumes_from_what_the_broker_holds(
    logical_pool: asyncpg.Pool, settings: Settings, kafka_bootstrap: str, logical_url: str
) -> None:
    topic = new_topic(kafka_bootstrap, PARTITIONS)
    keys = [f"large-{uuid.uuid4()}" for _ in range(100)]
    bodies = [envelope(key, seq) for seq in range(200) for key in keys]
    total = len(bodies)
    start = await logical_pool.fetchval(CONFIRMED, slot.SLOT)
    assert await logical_pool.fetchval(EMIT_ALL, topic, bodies) == total
    # Parts of 40 messages (10 x 4 batches): 500 parts, the kill lands inside the transaction.
    first = start_relay_process(
        settings, DATABASE_URL=logical_url, RELAY_BATCH_SIZE="10", RELAY_MAX_IN_FLIGHT_BATCHES="4"
    )
    held = kill_once_some_are_out(first, kafka_bootstrap, topic)
    assert 400 <= held < total, "killed with part of the transaction on the broker"
    # Parts were produced, none confirmed: the slot stays before the transaction.
    assert await logical_pool.fetchval(CONFIRMED, slot.SLOT) == start
    await wait_for(logical_pool, ACTIVE, slot.SLOT, expected=False, within=10)
    second = start_relay_process(settings, DATABASE_URL=logical_url)
    try:
        received = consume(kafka_bootstrap, topic, total, timeout=120)
        await wait_for(logical_pool, f"SELECT ({CONFIRMED}) <> $2", slot.SLOT, start, within=30)
    finally:
        stop_relay_process(second)
    # What the broker held at the kill is skipped (a resume that skipped nothing would send
    # those 400+ again); only the part in flight at the kill may come twice.
    duplicates = duplicates_of_all_in_order(received, total)
    print(f"\nkilled mid-transaction with {held} of {total} out: {duplicates} duplicates")
    assert duplicates <= 100
