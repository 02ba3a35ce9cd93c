"""The relay's own view of the broker for /health: a metadata request with a short timeout on an
interval. The producer alone notices a frozen broker only when a message times out (10 s and
more); the API's health asks with a 1.5 s timeout, and the relay's now answers as fast.

It also checks the broker's cluster id (KAFKA_CLUSTER_ID, or the id of `scribe up`'s embedded
broker): a broker of another cluster is reported, and `on_wrong_cluster` stops the relay's
claiming until the right broker answers again (issue 21)."""

import asyncio
import logging
import time
from collections.abc import Callable

from infinite_scribe.kafka.admin import admin_client
from infinite_scribe.kafka.cluster import broker_problem, is_wrong_cluster
from infinite_scribe.kafka.release import SharedAdmin
from infinite_scribe.settings.kafka import KafkaConnection

logger = logging.getLogger(__name__)


class BrokerProbe:
    """`reachable` is the last probe's answer (True until the first probe says otherwise);
    `problem` says why not."""

    def __init__(
        self,
        cluster: str | KafkaConnection,
        interval: float,
        timeout: float,
        expected_cluster_id: str | None = None,
        on_wrong_cluster: Callable[[], None] | None = None,
    ) -> None:
        self.cluster = cluster
        self.interval = interval
        self.timeout = timeout
        self.expected_cluster_id = expected_cluster_id
        self.on_wrong_cluster = on_wrong_cluster
        self.problem: str | None = None
        self.checked_at: float | None = None
        self._admin: SharedAdmin | None = None  # made at the first probe

    @property
    def reachable(self) -> bool:
        return self.problem is None

    def close(self) -> None:
        """Release the client (blocks while a probe's thread runs: call it off the loop)."""
        if self._admin is not None:
            self._admin.release()

    async def probe(self) -> None:
        """One probe, in a thread (librdkafka blocks): the relay runs it every `interval`
        (a `runtime.periodic` job)."""
        if self._admin is None:
            self._admin = SharedAdmin(admin_client(self.cluster))
        problem = await asyncio.to_thread(
            broker_problem, self._admin, self.expected_cluster_id, self.timeout
        )
        if problem != self.problem:
            log = logger.info if problem is None else logger.warning
            log("broker probe: %s", problem or "broker answers again")
        if is_wrong_cluster(problem) and self.on_wrong_cluster is not None:
            self.on_wrong_cluster()
        self.problem = problem
        self.checked_at = time.monotonic()
