"""The logical outbox's producer (decision 2600): delivery reports for failures only.

The table relay's producer reports every message to a Python callback; at the slot reader's
rates that callback was a large part of its CPU. This one asks librdkafka to report only the
messages that failed (`delivery.report.only.error`) and learns that a batch is done from
`flush()`: every message is then acknowledged or reported failed (`message.timeout.ms` bounds
how long it can stay in between).
"""

import asyncio
from collections.abc import Sequence
from typing import Any, Protocol

from confluent_kafka import KafkaError, KafkaException

from infinite_scribe.kafka.producer import HELD_BEHIND, Publisher

#: flush() waits up to the message timeout plus this: then every message has its report.
_FLUSH_SLACK_SECONDS = 5.0
_UNREPORTED = KafkaError(KafkaError._MSG_TIMED_OUT, "no delivery report within the timeout")


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


class BulkPublisher(Publisher):
    """An idempotent producer for whole batches; `publish_bulk` answers as `publish` does."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.config["delivery.report.only.error"] = True
        self.config["on_delivery"] = self._failed
        #: value -> the error of a failed message of the batch in flight (one batch at a time).
        #: By value: a delivery report carries no headers, and an envelope names its event.
        self._failures: dict[bytes, KafkaError] = {}

    def _failed(self, error: KafkaError | None, message: Any) -> None:
        # The poll thread (or flush): only failures are reported.
        if error is not None:
            self._failures[message.value() or b""] = error

    async def publish_bulk(self, rows: Sequence[Producible]) -> list[KafkaError | None] | None:
        """Produce `rows` in order; once all are done, None when every one was acknowledged,
        else each row's error (None: acknowledged)."""
        producer = self._producer
        assert producer is not None
        self._failures = {}
        local: dict[int, KafkaError] = {}
        failed_keys: set[str] = set()
        for index, row in enumerate(rows):
            if row.key is not None and row.key in failed_keys:
                local[index] = HELD_BEHIND  # would overtake an earlier row of its key
                continue
            while True:
                try:
                    producer.produce(row.topic, row.value, row.key, headers=row.headers)
                    break
                except BufferError:
                    producer.poll(0.05)  # local queue full: let deliveries drain
                except KafkaException as error:
                    if error.args[0].code() == KafkaError._FATAL:
                        self.fatal = True
                    local[index] = error.args[0]
                    if row.key is not None:
                        failed_keys.add(row.key)
                    break
        wait = self.config["message.timeout.ms"] / 1000 + _FLUSH_SLACK_SECONDS
        if await asyncio.to_thread(producer.flush, wait):
            # Still queued past their timeout (should not happen): nothing counts as delivered.
            return [_UNREPORTED] * len(rows)
        if not local and not self._failures:
            return None
        return self._results(rows, local)

    def _results(
        self, rows: Sequence[Producible], local: dict[int, KafkaError]
    ) -> list[KafkaError | None]:
        results: list[KafkaError | None] = [local.get(index) for index in range(len(rows))]
        matched = 0
        for index, row in enumerate(rows):
            error = self._failures.get(row.value) if self._failures else None
            if error is not None:
                results[index] = error
                matched += 1
        if matched < len(self._failures):  # a report we cannot place: nothing counts as sent
            first = next(iter(self._failures.values()))
            return [first] * len(rows)
        return results
