"""The relay's one produce loop (decision 2600; the outbox table's batches and the logical
outbox's alike, issue 75): whole batches, each with its own reports.

Each produced batch counts its messages' delivery reports (decision 7202): it is done when every
message is acknowledged or reported failed (`message.timeout.ms` bounds how long one can stay in
between), whatever other batches are still in flight. `flush()` waited for everything produced,
so a second batch in flight delayed the first's answer and ran its refusals together with it.
A report costs one Python call (a count; a failure is kept by value).
"""

import asyncio
from collections.abc import Sequence
from typing import Any

from confluent_kafka import KafkaError, KafkaException

from infinite_scribe.kafka.producer import HELD_BEHIND, Producible, Publisher
from infinite_scribe.kafka.producer_tracing import TracedReport, traced_produce
from infinite_scribe.observability.tracing import enabled as tracing_enabled

#: A batch waits for its reports up to the message timeout plus this: then every one has come.
_REPORT_SLACK_SECONDS = 5.0
_UNREPORTED = KafkaError(KafkaError._MSG_TIMED_OUT, "no delivery report within the timeout")


class _Reports:
    """The delivery reports of one batch: how many came, and the failures by value (a delivery
    report carries no headers, and an envelope names its event).

    No lock: the poll thread is the count's only writer, and the loop says how many to expect
    once the batch is produced. Under the GIL each sees the other's write in order, so whichever
    of the two sees the count reach the expected one resolves (both may: once counts)."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.reported = 0
        self.expected = -1  # not known while the batch is being produced
        self.failures: dict[bytes, KafkaError] = {}
        self.done: asyncio.Future[None] = loop.create_future()

    def report(self, error: KafkaError | None, message: Any) -> None:
        """The poll thread (or a flush at close): one message's fate."""
        if error is not None:
            self.failures[message.value() or b""] = error
        self.reported += 1
        if self.reported == self.expected:
            self.loop.call_soon_threadsafe(self._resolve)

    def expect(self, count: int) -> None:
        """The loop, the batch produced: `count` reports are due (those that came included)."""
        self.expected = count
        if self.reported == count:
            self._resolve()

    def _resolve(self) -> None:
        if not self.done.done():
            self.done.set_result(None)


class BulkPublisher(Publisher):
    """An idempotent producer for whole batches."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        #: The failures of the batch last answered (tests).
        self._failures: dict[bytes, KafkaError] = {}

    async def publish(self, rows: Sequence[Producible]) -> list[KafkaError | None] | None:
        """Produce `rows` in order; once each has its report, None when every one was
        acknowledged, else each row's error (None: acknowledged)."""
        producer, loop = self._producer, self._loop
        assert producer is not None and loop is not None
        reports = _Reports(loop)
        report, produce = reports.report, producer.produce
        local: dict[int, KafkaError] = {}
        failed_keys: set[str] = set()
        traced = tracing_enabled()
        for index, row in enumerate(rows):
            if row.key is not None and row.key in failed_keys:
                local[index] = HELD_BEHIND  # would overtake an earlier row of its key
                continue
            headers, reported = traced_produce(row, report) if traced else (row.headers, report)
            while True:
                try:
                    # Positional: keywords cost the call a parse of its keyword dict (about
                    # 0.5 us of the 3 a call takes, measured). -1: the partitioner's choice.
                    produce(row.topic, row.value, row.key, -1, reported, None, 0, headers)
                    break
                except BufferError:
                    await asyncio.sleep(0.005)  # local queue full: the poll thread drains it
                except KafkaException as error:
                    if error.args[0].code() == KafkaError._FATAL:
                        self.fatal = True
                    if isinstance(reported, TracedReport):
                        reported.refused(error.args[0])  # no report comes to end its span
                    local[index] = error.args[0]
                    if row.key is not None:
                        failed_keys.add(row.key)
                    break
        reports.expect(len(rows) - len(local))
        wait = self.config["message.timeout.ms"] / 1000 + _REPORT_SLACK_SECONDS
        try:
            await asyncio.wait_for(asyncio.shield(reports.done), wait)
        except TimeoutError:
            # Still unreported past their timeout (should not happen): nothing counts as sent.
            return [_UNREPORTED] * len(rows)
        self._failures = reports.failures
        if not local and not reports.failures:
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
