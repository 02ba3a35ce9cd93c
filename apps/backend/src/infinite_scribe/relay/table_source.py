"""The outbox table as a source of the delivery loop (relay/delivery.py): head-of-line claims,
several batches in flight (the next claim overlaps the broker round trip of the previous one;
ordering does not depend on it, see persistence/relay/store.py). Acknowledged rows are marked
SENT, the rest released to be claimed again, a refused row retried after its backoff or FAILED.
"""

import asyncio
import contextlib
import logging
import uuid
from collections.abc import Awaitable, Callable, Sequence
from typing import Protocol

from confluent_kafka import KafkaError

from infinite_scribe.application.ports.relay import ClaimedRow
from infinite_scribe.kafka.bulk_producer import BulkPublisher
from infinite_scribe.persistence.errors import DATABASE_ERRORS
from infinite_scribe.persistence.relay.members import Share
from infinite_scribe.persistence.relay.store import WHOLE
from infinite_scribe.relay.delivery import Acknowledged, Refusal
from infinite_scribe.relay.outcome import BatchOutcome

logger = logging.getLogger(__name__)


class TableStore(Protocol):
    """The part of the outbox store the table source uses (a test hands a fake)."""

    async def claim(self, limit: int, share: Share) -> list[ClaimedRow]: ...

    async def mark_sent(self, ids: Sequence[uuid.UUID]) -> None: ...

    async def release(self, ids: Sequence[uuid.UUID]) -> None: ...

    async def rejected(
        self, row_id: uuid.UUID, *, failed: bool, delay: float, error: str, error_class: str
    ) -> None: ...

    async def release_all(self) -> int: ...


class Shared(Protocol):
    """The relay's current share of the key space (relay/service.py: `Relay.keep_share`)."""

    share: Share


class TableSource:
    name = "table"
    probes_broker = True

    def __init__(
        self,
        store: TableStore,
        publisher: BulkPublisher,
        owner: Shared,
        batch_size: int,
        max_in_flight: int,
        poll_interval: float,
    ) -> None:
        self.store = store
        self.publisher = publisher
        self.owner = owner
        self.batch_size = batch_size
        self.max_in_flight = max_in_flight
        self.poll_interval = poll_interval
        #: Set by NOTIFY (relay/wakeup.py), a finished batch, a retry falling due.
        self.wake = asyncio.Event()

    async def next_batch(self) -> list[ClaimedRow] | None:
        """Rows of this relay's share first; when it has fewer than a batch ready, the rest
        from any key (a dead relay's keys are served before its share is given away)."""
        self.wake.clear()
        share = self.owner.share
        rows = await self.store.claim(self.batch_size, share)
        if len(rows) < self.batch_size and share != WHOLE:
            more = await self.store.claim(self.batch_size - len(rows), WHOLE)
            if more:
                rows = sorted(rows + more, key=lambda row: row.position)
        return rows or None

    def size(self, batch: list[ClaimedRow]) -> int:
        return len(batch)

    def full(self, batch: list[ClaimedRow]) -> bool:
        return len(batch) == self.batch_size

    def rows(self, batch: list[ClaimedRow]) -> list[ClaimedRow]:
        return batch

    async def publish(self, batch: list[ClaimedRow]) -> list[KafkaError | None] | None:
        return await self.publisher.publish(batch)

    async def acknowledge(
        self, batch: list[ClaimedRow], outcome: BatchOutcome | None, refusals: list[Refusal]
    ) -> Acknowledged:
        if outcome is None:
            await with_retry(self.store.mark_sent, [row.id for row in batch])
            return Acknowledged(len(batch), 0)
        await with_retry(self.store.mark_sent, outcome.sent)
        back = outcome.released + outcome.held
        if back:
            await with_retry(self.store.release, [row.id for row in back])
        for refusal in refusals:
            await self._refused(refusal)
        return Acknowledged(len(outcome.sent), len(back))

    async def _refused(self, refusal: Refusal) -> None:
        await self.store.rejected(
            refusal.row.id,
            failed=refusal.failed,
            delay=refusal.delay,
            error=refusal.reason,
            error_class=refusal.error.name(),
        )
        if not refusal.failed:
            loop = asyncio.get_running_loop()
            # Twice: the row's next_attempt_at is on the database clock, not ours.
            for slack in (0.02, 0.3):
                loop.call_later(refusal.delay + slack, self.wake.set)

    async def idle(self, stop: asyncio.Event) -> None:
        """Until the poll interval passes, `stop` is set or something wakes the table."""
        waits = [asyncio.create_task(stop.wait()), asyncio.create_task(self.wake.wait())]
        try:
            await asyncio.wait(
                waits, timeout=self.poll_interval, return_when=asyncio.FIRST_COMPLETED
            )
        finally:
            for task in waits:
                task.cancel()

    def settled(self, batch: list[ClaimedRow] | None) -> None:
        self.wake.set()  # acknowledged heads unblock the next rows of their keys

    async def close(self) -> None:
        """Release this relay's leases: another relay need not wait for them to expire."""
        with contextlib.suppress(*DATABASE_ERRORS, TimeoutError):
            released = await asyncio.wait_for(self.store.release_all(), 2)
            if released:
                logger.info("released %d claimed rows", released)


async def with_retry(
    statement: Callable[[list[uuid.UUID]], Awaitable[None]], ids: list[uuid.UUID]
) -> None:
    """Run an acknowledging statement, retrying while the database is unreachable."""
    for attempt in range(20):
        try:
            await statement(ids)
            return
        except DATABASE_ERRORS as error:
            logger.warning("outbox update failed (%s), attempt %d", error, attempt + 1)
            await asyncio.sleep(0.5)
    # The lease expires and the rows are published again: at-least-once, nothing lost.
    logger.error("giving up on updating %d outbox rows", len(ids))
