"""The relay's logical-outbox reader (decision 2600): messages from the replication slot to
Kafka, the slot advanced only past what the broker acknowledged.

Order: the slot hands messages over in commit order, and a batch is produced in that order. A
key with unsent rows in `event_outbox` (a refused message, a replay, writes from before the
switch) has its messages appended to the table behind them instead of produced. A refused
message, and the rest of its key in the batch, go to the table too, with the refusal as their
first attempt: the polling relay retries them (1/2/4 s), marks FAILED and holds the key, as it
does for rows. An outage advances nothing: the batch is read and produced again once the broker
answers (at-least-once; consumers deduplicate by ce_id). One relay streams the slot at a time
(the slot refuses a second stream; the others keep trying, and take over when it stops).
"""

import asyncio
import contextlib
import logging
from dataclasses import dataclass
from typing import Protocol
from uuid import UUID

import asyncpg
from confluent_kafka import KafkaError

from infinite_scribe.application.ports.relay import ClaimedRow
from infinite_scribe.kafka.bulk_producer import BulkPublisher
from infinite_scribe.kafka.producer import too_large_report
from infinite_scribe.persistence.errors import DATABASE_ERRORS
from infinite_scribe.persistence.outbox import slot, switch
from infinite_scribe.persistence.outbox.slot_stream import SlotStream
from infinite_scribe.relay.outcome import BatchOutcome, sort_reports
from infinite_scribe.relay.parts import RelayOptions

logger = logging.getLogger(__name__)

#: Rows from the slot have no outbox id; the outcome is matched back by position.
_NO_ID = UUID(int=0)


class ReaderHost(Protocol):
    """What the reader shares with its relay: the producer, the outage flag, the counters."""

    bulk_publisher: BulkPublisher
    outage: bool

    def broker_down(self) -> None: ...

    def count_published(self, sent: int, released: int) -> None: ...


@dataclass(frozen=True)
class ReaderOptions:
    database_url: str
    batch_size: int
    poll_interval: float
    retry_backoff: tuple[float, ...]
    max_message_bytes: int

    @classmethod
    def of(cls, relay: RelayOptions) -> "ReaderOptions":
        """From the relay's: a batch takes about as many records as the table's in flight."""
        return cls(
            database_url=relay.database_url,
            batch_size=relay.batch_size * relay.max_in_flight_batches,
            poll_interval=relay.poll_interval,
            retry_backoff=relay.retry_backoff,
            max_message_bytes=relay.max_message_bytes,
        )


def row_of(message: slot.SlotMessage, index: int) -> ClaimedRow:
    """A slot message as the producer takes it (its headers were built by the writer)."""
    headers: list[tuple[str, str | bytes | None]] = message.headers  # type: ignore[assignment]
    return ClaimedRow(_NO_ID, index, message.topic, message.key, 0, message.value, headers)


class LogicalReader:
    """Streams the slot while it exists; idles (one query per poll) while it does not."""

    def __init__(self, host: ReaderHost, options: ReaderOptions, pool: asyncpg.Pool) -> None:
        self.host = host
        self.options = options
        self.pool = pool
        self._after_outage = False

    async def run(self, stop: asyncio.Event) -> None:
        with contextlib.suppress(*DATABASE_ERRORS):
            said, warning = await switch.describe(self.pool)
            logger.log(logging.WARNING if warning else logging.INFO, said)
        while not stop.is_set():
            try:
                exists = await slot.slot_exists(self.pool)
            except DATABASE_ERRORS as error:
                logger.warning("cannot look for the outbox slot (%s)", error)
                exists = False
            if not exists:
                await _wait(stop, self.options.poll_interval)
                continue
            if not self.host.bulk_publisher.started:
                self.host.bulk_publisher.start()
            stream = SlotStream(self.options.database_url)
            try:
                await self._read(stream, stop)
            except Exception:  # a bug must not end the reading for good: logged, then again
                logger.exception("outbox slot reader failed; starting again")
                await _wait(stop, 1.0)
            finally:
                await asyncio.to_thread(stream.close)

    async def _read(self, stream: SlotStream, stop: asyncio.Event) -> None:
        while not stop.is_set():
            if self.host.outage:
                await _wait(stop, 0.5)
                continue
            batch = await stream.batch(self.options.batch_size, self.options.poll_interval)
            if batch is None:
                if not await slot.slot_exists(self.pool):
                    return  # switched off and dropped
                continue
            records, end_lsn = batch
            try:
                async with self.pool.acquire() as connection:
                    delivered = await self._publish(connection, slot.messages_of(records))
            except DATABASE_ERRORS as error:
                logger.warning("slot batch not handed over (%s): read again", error)
                delivered = False
            if delivered:
                stream.confirm(end_lsn)
            else:
                stream.restart()
                await _wait(stop, 0.5)

    async def _publish(
        self, connection: asyncpg.Connection, messages: list[slot.SlotMessage]
    ) -> bool:
        """Produce (or divert) one peeked batch; True when the slot may move past it."""
        held = await slot.held_keys(connection, sorted({m.key for m in messages if m.key}))
        queued = [m for m in messages if m.key in held]
        direct = [m for m in messages if m.key not in held]
        self._fresh_producer()
        results = await self.host.bulk_publisher.publish_bulk(direct) if direct else None
        if results is None and not queued:  # the usual batch: every message acknowledged
            self.host.count_published(len(direct), 0)
            return True
        rows = [row_of(message, index) for index, message in enumerate(direct)]
        outcome = sort_reports(rows, results or [None] * len(rows))
        if outcome.outage or outcome.released:
            self._not_acknowledged(outcome)
            return False
        queued_rows = [slot.Diverted(m) for m in queued]
        diverted = _in_slot_order(messages, queued_rows + self._refused(direct, outcome))
        await slot.divert(connection, diverted)
        self.host.count_published(len(outcome.sent), len(diverted))
        return True

    def _fresh_producer(self) -> None:
        """Nothing of ours is in flight between batches. After an outage a fresh producer, as
        the table's gets (relay/service.py): the old one can stay stuck on a broker that forgot
        its producer id."""
        publisher = self.host.bulk_publisher
        if publisher.fatal or self._after_outage:
            publisher.restart()
            self._after_outage = False

    def _not_acknowledged(self, outcome: BatchOutcome) -> None:
        if outcome.outage:
            self.host.broker_down()
            self._after_outage = True
        logger.warning("slot batch not acknowledged (%s): read again", outcome.release_reason)

    def _refused(
        self, direct: list[slot.SlotMessage], outcome: BatchOutcome
    ) -> list[slot.Diverted]:
        # A row's position is its index in `direct` (row_of).
        backoff = self.options.retry_backoff
        diverted = [slot.Diverted(direct[row.position]) for row in outcome.held]
        for row, error in outcome.rejected:
            message = direct[row.position]
            reason = too_large_report(row, error, self.options.max_message_bytes) or error.str()
            logger.warning("event %s refused (%s): to the outbox table", message.event_id, reason)
            diverted.append(_refusal(message, error, reason, backoff))
        return diverted


def _in_slot_order(
    messages: list[slot.SlotMessage], diverted: list[slot.Diverted]
) -> list[slot.Diverted]:
    """In the slot's order, so that each key keeps its order in the table."""
    order = {id(m): n for n, m in enumerate(messages)}
    return sorted(diverted, key=lambda d: order[id(d.message)])


async def _wait(stop: asyncio.Event, seconds: float) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), seconds)


def _refusal(
    message: slot.SlotMessage, error: KafkaError, reason: str, backoff: tuple[float, ...]
) -> slot.Diverted:
    return slot.Diverted(
        message,
        error=reason,
        error_class=error.name(),
        retry_in=backoff[0] if backoff else 0.0,
        failed=not backoff,
    )
