"""Crashes, several relays, shutdown: at-least-once delivery with per-key order."""

import asyncio
import contextlib
import re
import signal
import subprocess
import time
import uuid
from pathlib import Path

import asyncpg
import httpx
import pytest

from infinite_scribe.embedded.kafka import free_port
from infinite_scribe.settings.settings import Settings
from tests.support.relay import (
    consume,
    first_delivery_order_ok,
    insert_rows,
    new_topic,
    start_relay_process,
    wait_for,
)

pytestmark = [pytest.mark.kafka, pytest.mark.slow]

SENT_COUNT = "SELECT count(*) FROM event_outbox WHERE topic = $1 AND status = 'SENT'"


def _stop(process: subprocess.Popen[bytes]) -> int | None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            return process.wait(12)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(5)
            return None
    return process.returncode


def _check_delivery(kafka_bootstrap: str, topic: str, expected: int) -> None:
    received = consume(kafka_bootstrap, topic, expected, timeout=60)
    ids = {m.headers["ce_id"] for m in received}
    assert len(ids) == expected, f"{len(ids)} distinct events of {expected}"
    assert first_delivery_order_ok(received)


async def _wait_ready(port: int) -> None:
    deadline = time.monotonic() + 30
    async with httpx.AsyncClient(timeout=2) as client:
        while time.monotonic() < deadline:
            with contextlib.suppress(httpx.HTTPError):
                await client.get(f"http://127.0.0.1:{port}/metrics")
                return
            await asyncio.sleep(0.1)
    raise AssertionError(f"relay on metrics port {port} did not start")


async def _wait_sent(pool: asyncpg.Pool, topic: str, at_least: int, within: float) -> int:
    deadline = time.monotonic() + within
    count = 0
    while time.monotonic() < deadline:
        count = await pool.fetchval(SENT_COUNT, topic)
        if count >= at_least:
            return int(count)
        await asyncio.sleep(0.05)
    raise AssertionError(f"only {count} SENT, expected {at_least}")


async def test_kill_9_mid_way_then_restart_delivers_everything_in_order(
    pool: asyncpg.Pool, settings: Settings, kafka_bootstrap: str
) -> None:
    topic = new_topic(kafka_bootstrap, 6)
    keys = [f"k9-{uuid.uuid4()}" for _ in range(200)]
    total = await insert_rows(pool, topic, keys, 50)  # 10,000 events
    first = start_relay_process(settings, RELAY_LEASE_SECONDS="2")
    try:
        sent = await _wait_sent(pool, topic, 2000, 60)
        first.kill()  # kill -9: no chance to release leases or flush
        first.wait(5)
        assert sent < total
    finally:
        if first.poll() is None:
            first.kill()
    second = start_relay_process(settings, RELAY_LEASE_SECONDS="2")
    try:
        await wait_for(pool, SENT_COUNT, topic, expected=total, within=90)
    finally:
        assert _stop(second) == 0
    _check_delivery(kafka_bootstrap, topic, total)


async def test_two_relays_at_once_keep_per_key_order(
    pool: asyncpg.Pool, settings: Settings, kafka_bootstrap: str, tmp_path: Path
) -> None:
    topic = new_topic(kafka_bootstrap, 6)
    keys = [f"two-{uuid.uuid4()}" for _ in range(200)]
    logs = [tmp_path / f"relay{n}.log" for n in range(2)]
    ports = [free_port() for _ in logs]
    relays = [
        # Why these settings: with the defaults (4 batches of 100 in flight, 5 s poll) the relay
        # that polls first can lease all 200 heads and keep them, self-woken by its own acks,
        # until the other's next poll finds nothing left. 4 x 25 leases at most half the keys
        # and a short poll lets the other relay in, so the two really share every key range.
        start_relay_process(
            settings,
            stderr=log.open("wb"),
            LOG_LEVEL="INFO",
            RELAY_METRICS_PORT=str(port),
            RELAY_BATCH_SIZE="25",
            RELAY_MAX_IN_FLIGHT_BATCHES="4",
            RELAY_POLL_INTERVAL="0.2",
        )
        for log, port in zip(logs, ports, strict=True)
    ]
    try:
        for port in ports:  # both started and listening before the rows commit
            await _wait_ready(port)
        total = await insert_rows(pool, topic, keys, 100)  # 20,000 events
        await wait_for(pool, SENT_COUNT, topic, expected=total, within=120)
    finally:
        codes = [_stop(relay) for relay in relays]
    assert codes == [0, 0]
    # Both really worked (each logs its totals on a clean stop).
    published = [int(re.findall(r"published=(\d+)", log.read_text())[-1]) for log in logs]
    assert all(count > 0 for count in published), published
    assert sum(published) >= total
    _check_delivery(kafka_bootstrap, topic, total)


async def test_sigterm_exits_0_within_10_s_with_nothing_claimed(
    pool: asyncpg.Pool, settings: Settings, kafka_bootstrap: str
) -> None:
    topic = new_topic(kafka_bootstrap)
    keys = [f"term-{uuid.uuid4()}" for _ in range(100)]
    total = await insert_rows(pool, topic, keys, 100)
    relay = start_relay_process(settings)
    try:
        await _wait_sent(pool, topic, 500, 60)
        started = time.monotonic()
        relay.send_signal(signal.SIGTERM)
        code = relay.wait(10)
        elapsed = time.monotonic() - started
    finally:
        if relay.poll() is None:
            relay.kill()
    assert code == 0
    assert elapsed < 10
    claimed = await pool.fetchval(
        "SELECT count(*) FROM event_outbox WHERE topic = $1 AND claimed_by IS NOT NULL", topic
    )
    assert claimed == 0
    assert await pool.fetchval(SENT_COUNT, topic) < total  # it really stopped mid-way
