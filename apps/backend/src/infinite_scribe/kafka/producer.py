"""The Kafka side of the relay: an idempotent librdkafka producer and its delivery reports.

A background thread polls the producer; delivery reports complete one asyncio future per batch.
Errors are classified: a *rejected* message (the broker or the producer refuses this message)
burns retry budget; a *transport* error (broker unreachable, timeout, purge) is an outage.
"""

import asyncio
import logging
import threading
import time
from collections.abc import Callable
from typing import Any, Protocol

from confluent_kafka import KafkaError, KafkaException, Producer

from infinite_scribe.application.ports.relay import ClaimedRow
from infinite_scribe.kafka.cluster import broker_problem
from infinite_scribe.kafka.release import release_producer
from infinite_scribe.observability.thread_names import name_this_thread
from infinite_scribe.settings.kafka import KAFKA_LOGGER, KafkaConnection, client_config

logger = logging.getLogger(__name__)

#: Errors that say something about the message itself: retrying later may help (a fixed
#: payload after requeue) but the broker is up. Everything else is treated as an outage.
REJECTION_CODES = frozenset(
    {
        KafkaError.MSG_SIZE_TOO_LARGE,
        KafkaError.INVALID_MSG,
        KafkaError.INVALID_MSG_SIZE,
        KafkaError.INVALID_RECORD,
        KafkaError.RECORD_LIST_TOO_LARGE,
        KafkaError.TOPIC_EXCEPTION,
        KafkaError.TOPIC_AUTHORIZATION_FAILED,
        KafkaError.POLICY_VIOLATION,
        KafkaError._INVALID_ARG,
        KafkaError._UNKNOWN_TOPIC,
        KafkaError._UNKNOWN_PARTITION,
    }
)


#: The message is too big for the producer or the broker: no retry can ever publish it.
TOO_LARGE_CODES = frozenset(
    {KafkaError.MSG_SIZE_TOO_LARGE, KafkaError.RECORD_LIST_TOO_LARGE, KafkaError.INVALID_MSG_SIZE}
)


def too_large_report(row: ClaimedRow, error: KafkaError, max_message_bytes: int) -> str | None:
    """A clear error for a message too large to publish (None for any other error): the API
    refuses such events (EVENT_MAX_BYTES), so meeting one means the limits disagree or the row
    was written another way."""
    if error.code() not in TOO_LARGE_CODES:
        return None
    size = (
        len(row.value)
        + len(row.key or "")
        + sum(len(name) + len(value or b"") for name, value in row.headers)
    )
    return (
        f"message too large to publish ({size} bytes; RELAY_MAX_MESSAGE_BYTES="
        f"{max_message_bytes}, EVENT_MAX_BYTES must stay below it and the broker's "
        f"KAFKA_BROKER_MAX_MESSAGE_BYTES at or above it): {error.str()}"
    )


#: The report of a row not produced because an earlier row of its key failed to produce.
HELD_BEHIND = KafkaError(KafkaError._PREV_IN_PROGRESS, "held behind an earlier message of its key")


def is_rejection(error: KafkaError) -> bool:
    """True for a per-message error (poison), False for an outage (transport, timeouts)."""
    return error.code() in REJECTION_CODES and not error.fatal()


class Producible(Protocol):
    """What a message needs to be produced (a ClaimedRow, a slot message)."""

    @property
    def topic(self) -> str: ...
    @property
    def key(self) -> str | None: ...
    @property
    def value(self) -> bytes: ...
    @property
    def headers(self) -> Any:
        """A list of (name, value) pairs or a dict: `produce` takes either as it is."""
        ...


class Publisher:
    """One idempotent producer (acks=all) shared by every batch of a relay's source."""

    def __init__(
        self,
        cluster: str | KafkaConnection,
        *,
        max_message_bytes: int = 1_000_000,
        message_timeout_ms: int = 10_000,
        on_broker_down: Callable[[], None] | None = None,
        expected_cluster_id: str | None = None,
    ) -> None:
        self.config: dict[str, Any] = client_config(
            cluster,
            defaults={"linger.ms": 2, "reconnect.backoff.max.ms": 1000},
            owned={
                "enable.idempotence": True,
                "acks": "all",
                "message.max.bytes": max_message_bytes,
                "message.timeout.ms": message_timeout_ms,
                "logger": KAFKA_LOGGER,
                "error_cb": self._on_error,
            },
        )
        self.on_broker_down = on_broker_down
        self.expected_cluster_id = expected_cluster_id
        #: Connection losses seen so far: a batch during which it moved may have been acked by
        #: whatever answers on the address now (the relay checks the cluster before SENT).
        self.disconnects = 0
        self.fatal = False
        self._producer: Producer | None = None
        self._running = False
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    @property
    def started(self) -> bool:
        return self._producer is not None

    def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._producer = Producer(self.config)
        self._running = True
        self._thread = threading.Thread(target=self._poll_forever, name="relay-poll", daemon=True)
        self._thread.start()

    def _poll_forever(self) -> None:
        name_this_thread("relay-poll")
        producer = self._producer
        assert producer is not None
        while self._running:
            try:
                producer.poll(0.05)
            except KafkaException as error:
                # librdkafka raises a fatal error (e.g. UNKNOWN_PRODUCER_ID after a broker lost
                # its state) from poll(); the messages still queued are reported failed later.
                logger.error("producer error: %s", error)
                if error.args[0].fatal():
                    self.fatal = True
                time.sleep(0.05)

    def _on_error(self, error: KafkaError) -> None:
        # Runs on the poll thread. A fatal error (idempotence state lost) needs a new producer.
        if error.fatal():
            logger.error("fatal producer error: %s", error)
            self.fatal = True
        if error.code() in (KafkaError._ALL_BROKERS_DOWN, KafkaError._TRANSPORT):
            self.disconnects += 1
            logger.warning("broker unreachable: %s", error)
            if self.on_broker_down and self._loop:
                self._loop.call_soon_threadsafe(self.on_broker_down)

    async def probe(self, wait_seconds: float = 2.0) -> bool:
        """True when the cluster answers a metadata request (the end of an outage) and is the
        expected one."""
        return await self.problem(wait_seconds) is None

    async def problem(self, wait_seconds: float = 2.0) -> str | None:
        """What keeps this producer from publishing (see kafka/cluster.py), or None."""
        producer = self._producer
        if producer is None:
            return "no producer"
        expected = self.expected_cluster_id
        return await asyncio.to_thread(broker_problem, producer, expected, wait_seconds)

    def purge(self) -> None:
        """Fail every queued and in-flight message now (their reports say _PURGE_*)."""
        if self._producer is not None:
            self._producer.purge(in_queue=True, in_flight=True, blocking=False)

    def restart(self) -> None:
        """A new producer (after a fatal error or an outage); call with nothing in flight."""
        self.close(0)
        self.fatal = False
        self.start()

    def close(self, timeout: float = 2.0) -> None:
        self._running = False
        polling = self._thread
        if polling is not None:
            polling.join(5)
            self._thread = None
        if polling is not None and polling.is_alive():
            # A poll still running (stuck in librdkafka) would use a destroyed handle: the
            # producer is only dropped, and goes with the thread's last reference.
            logger.warning("producer poll thread did not stop; the producer is dropped, not closed")
        else:
            release_producer(self._producer, timeout)
        self._producer = None
