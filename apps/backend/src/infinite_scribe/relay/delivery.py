"""The relay's one delivery loop, fed by a `Source` (decision 3500): the outbox table's claims
(relay/table_source.py) or the replication slot's batches (relay/slot_source.py).

What a source decides: where a batch comes from, how it is produced, what "acknowledged" means
for it (rows SENT or released; the slot confirmed or streamed again). What the loop does once for
both: the broker outage (stop taking batches, a fresh producer, resume when it answers), the
producer's lifecycle after a fatal error, a batch acknowledged across a reconnection to another
cluster, the refusal of a message (retry after its backoff or FAILED, reported the same way) and
the counters. As saq runs one worker loop over any queue.
"""

import asyncio
import contextlib
import logging
import time
from dataclasses import dataclass
from typing import Generic, Protocol, TypeVar

from confluent_kafka import KafkaError

from infinite_scribe.application.ports.relay import ClaimedRow
from infinite_scribe.kafka.producer import Publisher, too_large_report
from infinite_scribe.persistence.errors import DATABASE_ERRORS
from infinite_scribe.relay.metrics import RelayMetrics
from infinite_scribe.relay.outcome import BatchOutcome, sort_reports

logger = logging.getLogger(__name__)

#: The "error" of a message acknowledged by a broker the relay cannot vouch for: an outage.
FOREIGN_ACK = KafkaError(KafkaError._TRANSPORT, "acknowledged across a reconnection")

B = TypeVar("B")


@dataclass
class RelayStats:
    published: int = 0
    retried: int = 0
    failed: int = 0
    released: int = 0


@dataclass(frozen=True)
class Refusal:
    """A message the broker refused, and what follows: a retry in `delay` seconds or FAILED."""

    row: ClaimedRow
    error: KafkaError
    reason: str
    attempts: int
    failed: bool
    delay: float


def refusal_of(
    row: ClaimedRow, error: KafkaError, backoff: tuple[float, ...], max_message_bytes: int
) -> Refusal:
    """One rule for both sources: attempt n waits backoff[n-1]; past the backoff, FAILED."""
    attempts = row.attempts + 1
    too_large = too_large_report(row, error, max_message_bytes)
    failed = attempts > len(backoff)
    delay = 0.0 if failed else backoff[attempts - 1]
    logger.log(
        logging.ERROR if too_large else logging.WARNING,
        "message %s rejected (attempt %d): %s%s",
        row.id,
        attempts,
        too_large or error,
        "; FAILED" if failed else f"; retry in {delay}s",
    )
    return Refusal(row, error, too_large or error.str(), attempts, failed, delay)


@dataclass(frozen=True)
class Acknowledged:
    """What a source did with a batch: published (SENT or confirmed) and handed back."""

    sent: int
    released: int


class Source(Protocol, Generic[B]):
    """Where batches come from and what their acknowledgement means."""

    @property
    def name(self) -> str: ...

    @property
    def publisher(self) -> Publisher: ...

    @property
    def max_in_flight(self) -> int:
        """Batches in flight at once (the slot: 1, it confirms in order)."""
        ...

    @property
    def probes_broker(self) -> bool:
        """Whether this loop asks the broker if it answers again after an outage (the other
        loop waits for the shared flag: one question per outage, not one per source)."""
        ...

    async def next_batch(self) -> B | None:
        """A batch to produce, None when there is none now (database errors propagate)."""
        ...

    def size(self, batch: B) -> int: ...

    def full(self, batch: B) -> bool:
        """More is probably waiting: ask again at once."""
        ...

    async def publish(self, batch: B) -> list[KafkaError | None] | None:
        """Produce `batch` in order; None: every message acknowledged."""
        ...

    def rows(self, batch: B) -> list[ClaimedRow]:
        """The batch in produce order, to sort the delivery reports by."""
        ...

    async def acknowledge(
        self, batch: B, outcome: BatchOutcome | None, refusals: list[Refusal]
    ) -> Acknowledged:
        """Tell the outbox (`outcome` None: all acknowledged)."""
        ...

    async def idle(self, stop: asyncio.Event) -> None:
        """Wait until asking for a batch is worth it again."""
        ...

    def settled(self, batch: B | None) -> None:
        """`batch`'s delivery finished, acknowledged or not (its acknowledged heads may unblock
        the next rows of their keys); None: the broker answers again."""
        ...

    async def close(self) -> None:
        """After the last batch: give back what is still held (leases, the stream)."""
        ...


class Host(Protocol):
    """What the loops share: the relay's outage flag, its counters and its cluster check."""

    outage: bool
    stats: RelayStats
    metrics: RelayMetrics

    @property
    def retry_backoff(self) -> tuple[float, ...]: ...

    @property
    def max_message_bytes(self) -> int: ...

    def broker_down(self) -> None: ...

    def broker_up(self) -> None: ...

    async def same_cluster(self, publisher: Publisher) -> bool: ...


async def rest(stop: asyncio.Event, seconds: float) -> None:
    """Sleep `seconds` or until `stop`."""
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), seconds)


class Delivery(Generic[B]):
    """Takes batches from one source while the broker answers; `drain` at the end."""

    def __init__(self, source: Source[B], host: Host) -> None:
        self.source = source
        self.host = host
        self.inflight: set[asyncio.Task[None]] = set()
        self._batches: dict[asyncio.Task[None], B] = {}

    async def run(self, stop: asyncio.Event) -> None:
        source, publisher = self.source, self.source.publisher
        while not stop.is_set():
            if publisher.fatal and not self.inflight:
                logger.warning("replacing the %s producer after a fatal error", source.name)
                publisher.restart()
            if self.host.outage:
                await self._await_broker(stop)
                continue
            if len(self.inflight) >= source.max_in_flight:
                await asyncio.wait(
                    set(self.inflight), timeout=1.0, return_when=asyncio.FIRST_COMPLETED
                )
                continue
            try:
                batch = await source.next_batch()
            except DATABASE_ERRORS as error:
                logger.warning("%s: no batch (%s); retrying", source.name, error)
                await rest(stop, 1.0)
                continue
            if batch is not None:
                task = asyncio.create_task(self.deliver(batch))
                self.inflight.add(task)
                self._batches[task] = batch
                task.add_done_callback(self._done)
                if source.full(batch):
                    continue
            await source.idle(stop)

    def _done(self, task: "asyncio.Task[None]") -> None:
        self.inflight.discard(task)
        self.source.settled(self._batches.pop(task, None))
        if not task.cancelled() and task.exception() is not None:
            logger.error("delivery task failed", exc_info=task.exception())

    async def _await_broker(self, stop: asyncio.Event) -> None:
        publisher, replaced = self.source.publisher, False
        while not stop.is_set() and self.host.outage:
            if self.inflight:
                # Their messages are delivered or time out (and are handed back) first.
                await rest(stop, 0.5)
                continue
            if not replaced and publisher.started:
                # A fresh producer for every outage: a restarted broker may have forgotten the
                # idempotent producer's id and sequence numbers, and the old producer can stay
                # stuck timing messages out against it even though it is reachable again.
                publisher.restart()
                replaced = True
            if self.source.probes_broker and await publisher.problem() is None:
                self.host.broker_up()
                self.source.settled(None)
                return
            await rest(stop, 1.0 if self.source.probes_broker else 0.5)

    async def deliver(self, batch: B) -> None:
        """Produce one batch and tell the source what became of each message."""
        source, publisher = self.source, self.source.publisher
        started, disconnects = time.monotonic(), publisher.disconnects
        results = await source.publish(batch)
        self.host.metrics.publish_latency.observe(time.monotonic() - started)
        if disconnects != publisher.disconnects and not await self.host.same_cluster(publisher):
            # The connection was lost meanwhile: whoever acknowledged may be another cluster
            # now on the address. Not acknowledged, then: published again once the right one
            # answers.
            results = [FOREIGN_ACK] * source.size(batch)
        outcome = None if results is None else self._sorted(source.rows(batch), results)
        refusals = [] if outcome is None else self._refusals(outcome)
        done = await source.acknowledge(batch, outcome, refusals)
        self._count(done, refusals)

    def _sorted(self, rows: list[ClaimedRow], results: list[KafkaError | None]) -> BatchOutcome:
        if any(error is not None and error.fatal() for error in results):
            self.source.publisher.fatal = True
        outcome = sort_reports(rows, results)
        if outcome.released:
            logger.warning(
                "%d messages not acknowledged (%s)", len(outcome.released), outcome.release_reason
            )
            if outcome.outage:
                self.host.broker_down()
        return outcome

    def _refusals(self, outcome: BatchOutcome) -> list[Refusal]:
        host = self.host
        return [
            refusal_of(row, error, host.retry_backoff, host.max_message_bytes)
            for row, error in outcome.rejected
        ]

    def _count(self, done: Acknowledged, refusals: list[Refusal]) -> None:
        stats, metrics = self.host.stats, self.host.metrics
        stats.published += done.sent
        metrics.published.inc(done.sent)
        stats.released += done.released
        metrics.released.inc(done.released)
        failed = sum(1 for refusal in refusals if refusal.failed)
        stats.failed += failed
        metrics.failures.inc(failed)
        stats.retried += len(refusals) - failed
        metrics.retries.inc(len(refusals) - failed)

    async def drain(self, grace_seconds: float) -> None:
        """Stop: let in-flight batches finish; purge what is left (reports come back as
        _PURGE_* errors: handed back), then cancel; then the source gives back what it holds."""
        if self.inflight:
            await asyncio.wait(set(self.inflight), timeout=grace_seconds)
        if self.inflight:
            self.source.publisher.purge()
            await asyncio.wait(set(self.inflight), timeout=1.5)
            for task in list(self.inflight):
                task.cancel()
        await self.source.close()
