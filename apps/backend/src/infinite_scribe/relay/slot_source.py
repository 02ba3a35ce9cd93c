"""The replication slot as a source of the delivery loop (relay/delivery.py; the logical outbox,
decisions 2600 and 3500): batches streamed from the slot, the slot confirmed only past what the
broker acknowledged.

Order: the slot hands messages over in commit order, and a batch is produced in that order. A
key with unsent rows in `event_outbox` (a refused message, a replay, writes from before the
switch) has its messages appended to the table behind them instead of produced. A refused
message, and the rest of its key in the batch, go to the table too, with the refusal as their
first attempt: the table source retries them (1/2/4 s), marks FAILED and holds the key, as it
does for rows. An outage confirms nothing: the batch is streamed and produced again once the
broker answers (at-least-once; consumers deduplicate by ce_id). One relay streams the slot at a
time (the slot refuses a second stream; the others keep trying, and take over when it stops).

Two batches in flight (decision 7202): batch N+1 is produced while N waits for its reports, each
batch with reports of its own (kafka/bulk_producer.py). They are acknowledged in order: N+1
waits for N's acknowledgement, and a key N sent to the table (refused, held, queued) holds N+1's
messages of that key behind it, acknowledged or not (an early copy on the wire, published again
in order after it: consumers skip it by ce_id). The slot is confirmed past N+1 only after N; an
outage or an unacknowledged message in N streams N+1 again too.
"""

import asyncio
import contextlib
import logging
from dataclasses import dataclass, field
from uuid import UUID

import asyncpg
from confluent_kafka import KafkaError, KafkaException

from infinite_scribe.application.ports.relay import ClaimedRow
from infinite_scribe.kafka.bulk_producer import BulkPublisher
from infinite_scribe.persistence.errors import DATABASE_ERRORS
from infinite_scribe.persistence.outbox import slot, switch
from infinite_scribe.persistence.outbox.slot_stream import Part, SlotStream
from infinite_scribe.relay import resume
from infinite_scribe.relay.delivery import Acknowledged, Refusal, rest
from infinite_scribe.relay.outcome import BatchOutcome
from infinite_scribe.relay.parts import RelayOptions

logger = logging.getLogger(__name__)

#: A slot message whose ce_id is not a UUID (none should be): its outcome is matched by position.
_NO_ID = UUID(int=0)


@dataclass(frozen=True, eq=False)
class SlotBatch:
    """One streamed batch: `direct` is produced, `queued` waits behind its key's table rows.
    `after`: the batch before it, acknowledged first; `acked`: the keys this one sent to the
    table once it is acknowledged (the next holds its messages of them)."""

    messages: list[slot.SlotMessage]
    direct: list[slot.SlotMessage]
    queued: list[slot.SlotMessage]
    end_lsn: int
    after: "asyncio.Future[frozenset[str]] | None" = None
    acked: "asyncio.Future[frozenset[str]]" = field(
        default_factory=lambda: asyncio.get_running_loop().create_future()
    )

    def done(self, carried: frozenset[str] = frozenset()) -> None:
        if not self.acked.done():
            self.acked.set_result(carried)


def row_of(message: slot.SlotMessage, index: int) -> ClaimedRow:
    """A slot message as the outcome is sorted (its position: its index in the batch)."""
    headers: list[tuple[str, str | bytes | None]] = list(message.headers.items())
    try:
        row_id = UUID(message.event_id)
    except ValueError:
        row_id = _NO_ID
    return ClaimedRow(row_id, index, message.topic, message.key, 0, message.value, headers)


class SlotSource:
    """Streams the slot while it exists; idles (one query per poll) while it does not."""

    name = "slot"
    #: Batches in flight with a backlog (acknowledged and confirmed in order, decision 7202).
    MAX_IN_FLIGHT = 2
    probes_broker = False  # the table source asks; this one waits for the shared flag

    def __init__(self, options: RelayOptions, publisher: BulkPublisher, pool: asyncpg.Pool) -> None:
        self.publisher = publisher
        self.pool = pool
        self.database_url = options.database_url
        # About as many records as the table has in flight.
        self.batch_size = options.batch_size * options.max_in_flight_batches
        self.poll_interval = options.poll_interval
        self._stream: SlotStream | None = None
        #: The batches handed out and not yet confirmed or streamed again, oldest first.
        self._pending: list[SlotBatch] = []
        self._pause = 0.0
        self._announced = False
        self.kafka = options.kafka
        #: After a (re)start of the stream: what the broker already holds past the confirmed
        #: point (None: not looked at yet), until the stream is past it.
        self._resume: resume.Delivered | None = None
        self._resuming = True
        self._connection = 0  # the stream's connection of the last batch
        #: Messages skipped because the broker held them already (since start).
        self.skipped = 0
        #: Batches handed out while an earlier one was still in flight (since start).
        self.overlapped = 0
        #: Whether the last batch was full (more was queued): only then may a second fly.
        self._backlog = False

    @property
    def max_in_flight(self) -> int:
        """Two with a backlog; one otherwise: a second batch of the few messages a light load
        brings would only split them into more, smaller produce requests, each a broker round
        trip (measured: p99 at 500 events/s 85 ms with one, 404-479 ms with two; decision
        7202), where with one they gather during the first's round trip."""
        return self.MAX_IN_FLIGHT if self._backlog else 1

    async def _announce(self) -> None:
        """Say at start which outbox mode the database runs (a warning when it looks wrong)."""
        self._announced = True
        with contextlib.suppress(*DATABASE_ERRORS):
            said, warning = await switch.describe(self.pool)
            logger.log(logging.WARNING if warning else logging.INFO, said)

    async def next_batch(self) -> SlotBatch | None:
        if not self._announced:  # in this loop: the table's does not wait for the answer
            await self._announce()
        if self._pause:
            await asyncio.sleep(self._pause)  # after a failed hand-over: not at once again
            self._pause = 0.0
        try:
            return await self._next()
        except DATABASE_ERRORS as error:
            logger.warning("slot batch not handed over (%s): read again", error)
            self._read_again(0.5)
        except Exception:  # a bug must not end the reading for good: logged, then again
            logger.exception("outbox slot reader failed; starting again")
            await self.close()
            self._pause = 1.0
        return None

    async def _next(self) -> SlotBatch | None:
        stream = self._stream if self._stream is not None else await self._open()
        if stream is None:
            return None
        got = await stream.batch(self.batch_size, self.poll_interval)
        if got is None:
            if not await slot.slot_exists(self.pool):
                await self.close()  # switched off and dropped
            return None
        messages = await self._unsent(got)
        # Confirmed once acknowledged: the end of its last whole transaction (0: none ended).
        end_lsn = next((part.end_lsn for part in reversed(got) if part.end_lsn), 0)
        direct, queued = await self._split(got, messages)
        after = self._pending[-1].acked if self._pending else None
        self.overlapped += after is not None
        self._pending.append(SlotBatch(messages, direct, queued, end_lsn, after))
        return self._pending[-1]

    async def _open(self) -> SlotStream | None:
        """A new stream of the slot (None: no slot), the publisher started first."""
        if not await self._slot_exists():
            return None
        if not self.publisher.started:
            self.publisher.start()
        self._stream = SlotStream(self.database_url, part_size=self.batch_size)
        self._resuming, self._resume = True, None
        return self._stream

    async def _unsent(self, got: list[Part]) -> list[slot.SlotMessage]:
        """The streamed messages, without those the broker holds already after a (re)start."""
        messages = [message for part in got for message in part.messages]
        self._backlog = sum(len(part.messages) + 1 for part in got) >= self.batch_size
        if got[-1].connection != self._connection:
            # A new replication connection (the stream's own reconnection after a database
            # restart, or a take-over): it streams again from the slot's confirmed point.
            self._connection, self._resuming, self._resume = got[-1].connection, True, None
        if self._resuming:
            messages = await self._skip_delivered(messages, _reached(got[-1]))
        return messages

    async def _split(
        self, got: list[Part], messages: list[slot.SlotMessage]
    ) -> tuple[list[slot.SlotMessage], list[slot.SlotMessage]]:
        """The messages to produce, and those queued behind their key's unsent table rows."""
        xids, keys = {part.xid for part in got}, (m.key for m in messages)
        async with self.pool.acquire() as connection:
            held = await slot.held_keys_once_visible(connection, xids, keys)
        if not held:
            return messages, []
        return [m for m in messages if m.key not in held], [m for m in messages if m.key in held]

    async def _skip_delivered(
        self, messages: list[slot.SlotMessage], reached: int
    ) -> list[slot.SlotMessage]:
        """The first batches of a new stream without what the broker already holds (`reached`:
        every later message's position is past it)."""
        found = self._resume
        if found is None:
            confirmed = await self.pool.fetchval(_CONFIRMED_SQL, slot.SLOT)
            found = self._resume = resume.Delivered(int(confirmed or 0))
        topics = {m.topic for m in messages} - found.topics
        if topics:
            try:
                await asyncio.to_thread(resume.read_back, self.kafka, topics, found)
            except KafkaException as error:  # then duplicates, not a loss
                logger.warning("cannot read back what the broker holds (%s)", error)
                found.topics |= topics
        kept = [m for m in messages if _id_of(m) not in found.ids] if found.ids else messages
        found.skipped += len(messages) - len(kept)
        self.skipped += len(messages) - len(kept)
        if reached >= found.furthest:
            self._resuming, self._resume = False, None
            logger.info("slot resumed: %d message(s) already on the broker skipped", found.skipped)
        return kept

    async def _slot_exists(self) -> bool:
        try:
            return await slot.slot_exists(self.pool)
        except DATABASE_ERRORS as error:
            logger.warning("cannot look for the outbox slot (%s)", error)
            return False

    def size(self, batch: SlotBatch) -> int:
        return len(batch.direct)

    def full(self, batch: SlotBatch) -> bool:
        return False  # the stream waits for the next batch itself

    def rows(self, batch: SlotBatch) -> list[ClaimedRow]:
        return [row_of(message, index) for index, message in enumerate(batch.direct)]

    async def publish(self, batch: SlotBatch) -> list[KafkaError | None] | None:
        return await self.publisher.publish(batch.direct) if batch.direct else None

    async def acknowledge(
        self, batch: SlotBatch, outcome: BatchOutcome | None, refusals: list[Refusal]
    ) -> Acknowledged:
        """After the batch before it: hand the diverted messages to the table, then confirm the
        slot past the batch."""
        carried = await batch.after if batch.after is not None else frozenset()
        try:
            if not any(pending is batch for pending in self._pending):
                return Acknowledged(0, 0)  # an earlier batch was streamed again, this one too
            if outcome is not None and (outcome.outage or outcome.released):
                logger.warning(
                    "slot batch not acknowledged (%s): read again", outcome.release_reason
                )
                self._read_again(0.5)
                return Acknowledged(0, 0)
            if carried:
                outcome = behind(self.rows(batch), outcome, carried)
            return await self._hand_over(batch, outcome, refusals)
        finally:
            batch.done()

    async def _hand_over(
        self, batch: SlotBatch, outcome: BatchOutcome | None, refusals: list[Refusal]
    ) -> Acknowledged:
        sent = len(batch.direct) if outcome is None else len(outcome.sent)
        back = batch.queued + (
            [] if outcome is None else [batch.direct[r.position] for r in outcome.held]
        )
        diverted = _in_slot_order(
            batch.messages,
            [slot.Diverted(m) for m in back]
            + [_diverted(batch.direct[refusal.row.position], refusal) for refusal in refusals],
        )
        try:
            if diverted:
                async with self.pool.acquire() as connection:
                    await slot.divert(connection, diverted)
        except DATABASE_ERRORS as error:
            logger.warning("slot batch not handed over (%s): read again", error)
            self._read_again(0.5)
            return Acknowledged(0, 0)
        assert self._stream is not None
        self._stream.confirm(batch.end_lsn)
        self._pending.remove(batch)
        batch.done(frozenset(d.message.key for d in diverted if d.message.key))
        return Acknowledged(sent, len(back))

    def _read_again(self, pause: float) -> None:
        """Stream again from the confirmed point: nothing of the pending batch is lost."""
        if self._stream is not None:
            self._stream.restart()
            self._resuming, self._resume = True, None
        dropped, self._pending = self._pending, []
        for batch in dropped:
            batch.done()  # the next one learns it was dropped, and is dropped too
        self._pause = pause

    async def idle(self, stop: asyncio.Event) -> None:
        if self._stream is None:  # no slot: look again after a poll interval
            await rest(stop, self.poll_interval)

    def settled(self, batch: SlotBatch | None) -> None:
        if any(pending is batch for pending in self._pending) or (batch is None and self._pending):
            # The delivery ended before acknowledging (a bug, a cancellation): the slot must
            # not be confirmed past it by the next batch.
            self._read_again(1.0)

    async def close(self) -> None:
        stream, self._stream = self._stream, None
        if stream is not None:
            await asyncio.to_thread(stream.close)


_CONFIRMED_SQL = (
    "SELECT confirmed_flush_lsn - '0/0'::pg_lsn FROM pg_replication_slots "
    "WHERE slot_name = $1 AND database = current_database()"
)


def _reached(last: Part) -> int:
    """How far a batch ending with `last` reached: every later message is positioned past it."""
    if last.end_lsn:
        return last.end_lsn
    # Inside a transaction: its next parts carry its position (commit LSN + 1).
    return int.from_bytes(last.position, "big") - 1


def _id_of(message: slot.SlotMessage) -> bytes:
    event_id = message.headers.get("ce_id", b"")
    return event_id.encode() if isinstance(event_id, str) else event_id


def _diverted(message: slot.SlotMessage, refusal: Refusal) -> slot.Diverted:
    """A refused message to the table, its refusal counted as the first attempt."""
    return slot.Diverted(
        message,
        error=refusal.reason,
        error_class=refusal.error.name(),
        retry_in=refusal.delay,
        failed=refusal.failed,
    )


def behind(
    rows: list[ClaimedRow], outcome: BatchOutcome | None, carried: frozenset[str]
) -> BatchOutcome:
    """`outcome` with the acknowledged rows of `carried` keys held: the batch before sent those
    keys to the table, so these wait behind them (published again after them)."""
    if outcome is None:
        outcome = BatchOutcome(sent=[row.id for row in rows])
    stopped = {row.position for row in outcome.held} | {r.position for r, _ in outcome.rejected}
    moved = [r for r in rows if r.key in carried and r.position not in stopped]
    if not moved:
        return outcome
    gone = stopped | {row.position for row in moved}
    return BatchOutcome(
        sent=[row.id for row in rows if row.position not in gone],
        held=sorted(outcome.held + moved, key=lambda row: row.position),
        rejected=outcome.rejected,
        overtaken=outcome.overtaken + len(moved),
    )


def _in_slot_order(
    messages: list[slot.SlotMessage], diverted: list[slot.Diverted]
) -> list[slot.Diverted]:
    """In the slot's order, so that each key keeps its order in the table."""
    if not diverted:
        return diverted
    order = {id(m): n for n, m in enumerate(messages)}
    return sorted(diverted, key=lambda d: order[id(d.message)])
