"""The relay's /health notices a frozen broker (SIGSTOP, not stopped) within seconds, and
recovers after SIGCONT. A private broker: the session's shared one is never frozen."""

import asyncio
import os
import signal
import time

import httpx
import pytest

from infinite_scribe.embedded.kafka import EmbeddedKafka, free_port
from infinite_scribe.settings.settings import Settings
from tests.support.relay import running_relay

pytestmark = [pytest.mark.kafka, pytest.mark.slow]


async def _status(port: int) -> int:
    async with httpx.AsyncClient(timeout=10) as client:
        try:
            return (await client.get(f"http://127.0.0.1:{port}/health")).status_code
        except httpx.ConnectError:
            return 0  # the metrics server is not listening yet


async def _seconds_until(port: int, status: int, within: float) -> float:
    started = time.monotonic()
    while time.monotonic() - started < within:
        if await _status(port) == status:
            return time.monotonic() - started
        await asyncio.sleep(0.1)
    raise AssertionError(f"/health did not answer {status} within {within}s")


async def test_a_frozen_broker_shows_in_health_within_seconds(settings: Settings) -> None:
    broker = EmbeddedKafka(port=free_port())
    servers = broker.start()
    port = free_port()
    try:
        async with running_relay(
            settings,
            kafka_bootstrap_servers=servers,
            relay_metrics_port=port,
            relay_health_max_pending_age=1e9,  # only the broker decides health here
            relay_broker_probe_interval_seconds=0.5,
            relay_broker_probe_timeout_seconds=1.0,
        ):
            await _seconds_until(port, 200, within=15)
            assert broker.pid is not None
            os.kill(broker.pid, signal.SIGSTOP)
            try:
                noticed = await _seconds_until(port, 503, within=6)
            finally:
                os.kill(broker.pid, signal.SIGCONT)
            assert noticed < 4, noticed
            await _seconds_until(port, 200, within=15)
    finally:
        broker.stop()
