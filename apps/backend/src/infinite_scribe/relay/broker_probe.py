"""The relay's own view of the broker for /health: a metadata request with a short timeout on an
interval. The producer alone notices a frozen broker only when a message times out (10 s and
more); the API's health asks with a 1.5 s timeout, and the relay's now answers as fast."""

import asyncio
import contextlib
import logging
import time

from infinite_scribe.kafka.admin import admin_client, broker_reachable
from infinite_scribe.settings.kafka import KafkaConnection

logger = logging.getLogger(__name__)


class BrokerProbe:
    """`reachable` is the last probe's answer (True until the first probe says otherwise)."""

    def __init__(self, cluster: str | KafkaConnection, interval: float, timeout: float) -> None:
        self.cluster = cluster
        self.interval = interval
        self.timeout = timeout
        self.reachable = True
        self.checked_at: float | None = None

    async def run(self, stop: asyncio.Event) -> None:
        """Probe until `stop` is set; each probe runs in a thread (librdkafka blocks)."""
        admin = admin_client(self.cluster)
        while not stop.is_set():
            reachable = await asyncio.to_thread(broker_reachable, admin, self.timeout)
            if reachable != self.reachable:
                log = logger.info if reachable else logger.warning
                log("broker probe: broker %s", "answers again" if reachable else "did not answer")
            self.reachable = reachable
            self.checked_at = time.monotonic()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), self.interval)
