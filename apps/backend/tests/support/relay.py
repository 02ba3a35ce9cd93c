"""Helpers for relay tests: write outbox rows, read a topic back by assigning its partitions."""

import asyncio
import contextlib
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import asyncpg
import orjson
from confluent_kafka import OFFSET_BEGINNING, Consumer, TopicPartition

from infinite_scribe.composition.relay import build_relay
from infinite_scribe.kafka.admin import ensure_topic
from infinite_scribe.relay.service import Relay
from infinite_scribe.settings.settings import Settings
from shared_types import EventEnvelope

EVENT_TYPE = "Genesis.Session.FeedbackSubmitted"


def new_topic(servers: str, partitions: int = 3) -> str:
    topic = f"relay-test-{uuid.uuid4().hex[:10]}"
    ensure_topic(servers, topic, partitions)
    return topic


def envelope(key: str, seq: int, **payload: Any) -> dict[str, Any]:
    event = EventEnvelope(
        event_type=EVENT_TYPE,
        aggregate_type="GENESIS_SESSION",
        aggregate_id=key,
        aggregate_version=seq + 1,
        payload={"seq": seq, **payload},
    )
    return event.model_dump(mode="json")


async def insert_rows(
    pool: asyncpg.Pool, topic: str, keys: list[str], per_key: int, *, interleave: bool = True
) -> int:
    """PENDING rows for `keys`, `per_key` each, in commit order seq 0..per_key-1 per key."""
    order = (
        [(key, seq) for seq in range(per_key) for key in keys]
        if interleave
        else [(key, seq) for key in keys for seq in range(per_key)]
    )
    envelopes = [envelope(key, seq) for key, seq in order]
    await pool.execute(
        "INSERT INTO event_outbox (event_id, topic, key, payload) "
        "SELECT (e->>'event_id')::uuid, $1, e->>'aggregate_id', e "
        "FROM unnest($2::jsonb[]) WITH ORDINALITY AS t(e, n) ORDER BY n",
        topic,
        envelopes,
    )
    return len(envelopes)


@dataclass
class Received:
    key: str | None
    value: dict[str, Any]
    headers: dict[str, bytes]
    partition: int


def consume(servers: str, topic: str, expected: int, timeout: float = 60.0) -> list[Received]:
    """Read `topic` from the start until `expected` distinct events arrived or `timeout` passed."""
    consumer = Consumer(
        {
            "bootstrap.servers": servers,
            "group.id": f"t-{uuid.uuid4().hex}",
            "enable.auto.commit": False,
        }
    )
    try:
        metadata = consumer.list_topics(topic, timeout=10)
        partitions = list(metadata.topics[topic].partitions)
        consumer.assign([TopicPartition(topic, p, OFFSET_BEGINNING) for p in partitions])
        received: list[Received] = []
        distinct: set[bytes] = set()  # redeliveries (at-least-once) do not count twice
        deadline = time.monotonic() + timeout
        while len(distinct) < expected and time.monotonic() < deadline:
            for message in consumer.consume(1000, 0.2):
                if message.error():
                    continue
                key = message.key()
                headers = dict(message.headers() or [])
                distinct.add(headers.get("ce_id") or message.value())
                received.append(
                    Received(
                        key=key.decode() if key is not None else None,
                        value=orjson.loads(message.value()),
                        headers=headers,
                        partition=message.partition(),
                    )
                )
        return received
    finally:
        consumer.close()


def duplicates_of_all_in_order(received: list[Received], total: int) -> int:
    """Asserts that all `total` events arrived, first deliveries in order per key; returns the
    number of duplicates (at-least-once: redeliveries after a kill)."""
    assert len({m.headers["ce_id"] for m in received}) == total
    assert first_delivery_order_ok(received)
    return len(received) - total


def first_delivery_order_ok(received: list[Received]) -> bool:
    """Per key, the first delivery of every seq comes in increasing seq order."""
    seen: dict[str, set[int]] = {}
    last: dict[str, int] = {}
    for message in received:
        key, seq = message.key or "", message.value["payload"]["seq"]
        if seq in seen.setdefault(key, set()):
            continue
        if seq <= last.get(key, -1):
            return False
        seen[key].add(seq)
        last[key] = seq
    return True


async def wait_for(
    pool: asyncpg.Pool, sql: str, *args: Any, expected: Any = True, within: float = 60.0
) -> Any:
    deadline = time.monotonic() + within
    value = None
    while time.monotonic() < deadline:
        value = await pool.fetchval(sql, *args)
        if value == expected:
            return value
        await asyncio.sleep(0.1)
    raise AssertionError(f"{sql!r} -> {value!r}, expected {expected!r}")


@contextlib.asynccontextmanager
async def running_relay(settings: Settings, **overrides: Any) -> AsyncIterator[Relay]:
    relay = build_relay(settings.model_copy(update={"relay_metrics_port": 0, **overrides}))
    stop = asyncio.Event()
    task = asyncio.create_task(relay.run(stop))
    try:
        yield relay
    finally:
        stop.set()
        await asyncio.wait_for(task, 15)


def relay_env(settings: Settings, **extra: str) -> dict[str, str]:
    env = {
        **os.environ,
        "SERVICE_TYPE": "message-relay",
        "DATABASE_URL": settings.resolved_database_url() or "",
        "KAFKA_BOOTSTRAP_SERVERS": settings.resolved_kafka_servers() or "",
        "RELAY_POLL_INTERVAL": "0.5",
        "RELAY_METRICS_PORT": "0",
        "LOG_LEVEL": "WARNING",
    }
    env.update(extra)
    return env


def start_relay_process(
    settings: Settings, stderr: Any = None, **extra: str
) -> subprocess.Popen[bytes]:
    """`SERVICE_TYPE=message-relay python -m infinite_scribe` against the test services."""
    return subprocess.Popen(
        [sys.executable, "-m", "infinite_scribe"], env=relay_env(settings, **extra), stderr=stderr
    )


def stop_relay_process(relay: subprocess.Popen[bytes]) -> None:
    """SIGTERM, and the relay must exit cleanly (0) within 15 s (else killed, and it fails)."""
    relay.send_signal(signal.SIGTERM)
    try:
        assert relay.wait(15) == 0
    except subprocess.TimeoutExpired:
        relay.kill()
        raise


#: The slot's confirmed point, and whether a relay streams it (slot.SLOT as $1).
CONFIRMED = "SELECT confirmed_flush_lsn::text FROM pg_replication_slots WHERE slot_name = $1"
ACTIVE = "SELECT active FROM pg_replication_slots WHERE slot_name = $1"


def kafka_clients_alive() -> int:
    """The librdkafka clients alive in this process: each runs one thread named `rdk:main`."""
    alive = 0
    for task in os.listdir("/proc/self/task"):
        try:
            with open(f"/proc/self/task/{task}/comm") as name:
                alive += name.read().strip() == "rdk:main"
        except OSError:
            continue  # the thread ended while we looked
    return alive
