"""Which broker a client talks to: every component refuses a broker whose cluster id is not the
one it expects (KAFKA_CLUSTER_ID, or the id `scribe up` gave its embedded broker), so that a
process whose broker died never reconnects to another instance's broker on the same address
(issue 21; docs/decisions/2150-embedded-broker-identity.md)."""

import asyncio
import logging
from collections.abc import Callable
from typing import Any, Protocol

from confluent_kafka import KafkaException

logger = logging.getLogger(__name__)

#: The answer of a broker that does not answer (or has no broker in its metadata).
NOT_ANSWERING = "broker did not answer"


class MetadataClient(Protocol):
    """An AdminClient, Producer or Consumer: anything with librdkafka's `list_topics`."""

    def list_topics(self, *args: Any, **kwargs: Any) -> Any: ...


def broker_problem(client: MetadataClient, expected: str | None, timeout: float) -> str | None:
    """None when the broker answers a metadata request within `timeout` seconds and, if
    `expected` is given, reports that cluster id; otherwise what is wrong, for health and logs."""
    try:
        metadata = client.list_topics(timeout=timeout)
    except KafkaException:
        return NOT_ANSWERING
    if not metadata.brokers:
        return NOT_ANSWERING
    if expected is not None and metadata.cluster_id != expected:
        return (
            f"broker is cluster {metadata.cluster_id!r}, expected {expected!r} "
            "(not the broker this process was started with: refused)"
        )
    return None


def is_wrong_cluster(problem: str | None) -> bool:
    return problem is not None and problem != NOT_ANSWERING


class ForeignBroker(ConnectionError):
    """Raised instead of handling a message while the broker is another cluster's: an OSError,
    so consumers treat it as transient (retried, never dead-lettered, no offset stored)."""


class ClusterGuard:
    """Asks the broker for its cluster id every `interval` seconds (only when one is expected);
    `check()` raises ForeignBroker while the last answer named another cluster."""

    def __init__(
        self,
        client: MetadataClient,
        expected: str | None,
        interval: float,
        timeout: float,
        release: Callable[[], None] | None = None,
    ) -> None:
        self.client, self.expected = client, expected
        self.interval, self.timeout = interval, timeout
        #: Releases `client` (kafka/release.py) when the worker stops; once.
        self._release = release
        self.problem: str | None = None
        #: Set once the broker answered as the expected cluster (at once when none is expected).
        self.verified = asyncio.Event()

    @property
    def foreign(self) -> bool:
        return is_wrong_cluster(self.problem)

    def close(self) -> None:
        release, self._release = self._release, None
        if release is not None:
            release()

    def check(self) -> None:
        if self.foreign:
            raise ForeignBroker(self.problem)

    async def wait_verified(self, stop: asyncio.Event) -> None:
        """Until the broker answered as the expected cluster, or `stop` is set."""
        waits = [asyncio.create_task(self.verified.wait()), asyncio.create_task(stop.wait())]
        try:
            await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in waits:
                task.cancel()

    async def probe(self) -> None:
        """Ask the broker once which cluster it is (every `interval`, as the worker runs it)."""
        if self.expected is None:
            self.verified.set()
            return
        problem = await asyncio.to_thread(broker_problem, self.client, self.expected, self.timeout)
        if is_wrong_cluster(problem) != self.foreign:
            log = logger.warning if is_wrong_cluster(problem) else logger.info
            log("cluster guard: %s", problem or "the expected broker answers again")
        self.problem = problem
        if problem is None:
            self.verified.set()
