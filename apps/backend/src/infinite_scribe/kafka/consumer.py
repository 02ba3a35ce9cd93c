"""A consumer-group loop for asyncio workers (confluent-kafka) that handles messages with
different keys concurrently and messages with the same key in order (key-ordered mode, as in
Confluent's Parallel Consumer).

One thread polls; each message joins the lane of its (partition, key) and lanes run as asyncio
tasks. At most `max_in_flight` messages are held per process: at the bound every assigned
partition is paused and polling goes on (so the member is never evicted), below 3/4 of it they
resume. A partition's offset is stored only up to its lowest unfinished message
(`kafka.offsets`), so a crash redelivers exactly what was not finished; the handler's ledger
makes a redelivery harmless. Retries of one message (and a poison one) only hold its own key.

Rebalances: a revoked partition commits its safe position synchronously while it is still ours,
its queued messages are dropped (the next owner reads them again from that position) and the
messages in hand finish without storing anything. Messages of a partition that is no longer
assigned are never dispatched. A re-assigned partition gets its pause flag set explicitly:
librdkafka keeps a partition's pause across a revoke and re-assign (librdkafka#1849).
"""

import asyncio
import contextlib
import logging
import threading
from collections import deque
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from confluent_kafka import Consumer, KafkaException, Message, TopicPartition

from infinite_scribe.kafka.offsets import PartitionOffsets

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Delivery:
    """One consumed message, detached from librdkafka."""

    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes | None
    headers: dict[str, bytes] = field(default_factory=dict)

    @classmethod
    def of(cls, message: Message) -> "Delivery":
        headers: dict[str, bytes] = {}
        for name, value in list(message.headers() or []):
            text = name.decode() if isinstance(name, bytes) else str(name)
            headers[text] = value.encode() if isinstance(value, str) else (value or b"")
        key, value = message.key(), message.value()
        return cls(
            str(message.topic()),
            int(message.partition() or 0),
            int(message.offset() or 0),
            key.encode() if isinstance(key, str) else key,
            value.encode() if isinstance(value, str) else value,
            headers,
        )

    def header(self, name: str) -> str | None:
        value = self.headers.get(name)
        return value.decode("utf-8", "replace") if value is not None else None


Handler = Callable[[Delivery], Awaitable[None]]
PoisonHandler = Callable[[Delivery, BaseException], Awaitable[None]]
Peek = Callable[[Delivery], None]
LaneKey = tuple[str, int, bytes | int]

#: Attempts at a message whose handler keeps raising a non-transient error before it is
#: handed to `on_poison` (the dead-letter topic) so that it never blocks its key.
POISON_ATTEMPTS = 3


class _Lane:
    """The messages of one key waiting in order, and the task that handles them."""

    __slots__ = ("queue", "task")

    def __init__(self) -> None:
        self.queue: deque[tuple[Delivery, PartitionOffsets]] = deque()
        self.task: asyncio.Task[None] | None = None


class KeyedConsumer:
    """Consume `topics` in group `config['group.id']`, calling `handler` per message."""

    def __init__(
        self,
        config: dict[str, Any],
        topics: list[str],
        handler: Handler,
        *,
        on_poison: PoisonHandler,
        is_transient: Callable[[BaseException], bool],
        max_in_flight: int = 256,
        poll_timeout: float = 0.1,
        peek: Peek | None = None,
    ) -> None:
        settings = dict(config)
        # Offsets are stored by us (the safe position); librdkafka commits what is stored in
        # the background, and we commit synchronously when a partition is revoked.
        settings.update({"enable.auto.offset.store": False, "enable.auto.commit": True})
        settings.setdefault("auto.offset.reset", "earliest")
        self.consumer = Consumer(settings)
        # The incremental protocol hands over only what changes (and wants incremental calls).
        self._cooperative = "cooperative" in str(settings.get("partition.assignment.strategy"))
        self.topics = topics
        self.handler = handler
        self.on_poison = on_poison
        self.is_transient = is_transient
        self.max_in_flight = max_in_flight
        self.resume_at = max(max_in_flight * 3 // 4, 1) if max_in_flight > 1 else 0
        self.poll_timeout = poll_timeout
        #: Sees each message of an owned partition on arrival, before it waits for its key.
        self.peek = peek
        #: Messages held (queued or in hand); the event loop alone changes it.
        self.in_flight = 0
        self.paused = False
        # The current assignment, changed on the poll thread (rebalance callbacks).
        self._lock = threading.Lock()
        self._partitions: dict[tuple[str, int], PartitionOffsets] = {}
        self._lanes: dict[LaneKey, _Lane] = {}
        # Polling blocks, so it runs on a thread of its own; pause and resume are quick,
        # thread-safe librdkafka calls made from the event loop directly.
        self._thread = ThreadPoolExecutor(1, thread_name_prefix="kafka-consumer")
        self._loop: asyncio.AbstractEventLoop | None = None

    async def _call(self, function: Callable[..., Any], *args: Any) -> Any:
        assert self._loop is not None
        return await self._loop.run_in_executor(self._thread, function, *args)

    async def run(self, stop: asyncio.Event, grace: float) -> None:
        """Poll and dispatch until `stop`; then give messages in hand `grace` s and close."""
        self._loop = asyncio.get_running_loop()
        await self._call(self._subscribe)
        try:
            while not stop.is_set():
                room = self.max_in_flight - self.in_flight
                for message in await self._call(self._poll_batch, room):
                    self._dispatch(message)
        finally:
            await self._drain(grace)
            await self._call(self._close)
            self._thread.shutdown(wait=False)

    def _subscribe(self) -> None:
        self.consumer.subscribe(
            self.topics, on_assign=self._assigned, on_revoke=self._revoked, on_lost=self._lost
        )

    def _poll_batch(self, room: int) -> list[Message]:
        """At most `room` messages (one when there is none: the partitions are paused then,
        and polling goes on for the group's sake)."""
        self._store_positions()
        first = self.consumer.poll(self.poll_timeout)
        if first is None or room <= 1:
            return [] if first is None else [first]
        # What is already fetched comes at once; consume() with no wait never blocks.
        return [first, *self.consumer.consume(min(room - 1, 255), 0)]

    def _dispatch(self, message: Message) -> None:
        if message.error() is not None:
            logger.warning("consumer error: %s", message.error())
            return
        delivery = Delivery.of(message)
        offsets = self._partitions.get((delivery.topic, delivery.partition))
        if offsets is None or not offsets.assigned:
            return  # fetched before a revoke: the partition's owner reads it again
        if self.peek is not None:
            self.peek(delivery)
        offsets.started(delivery.offset)
        # No key, no order to keep: such a message gets a lane of its own.
        key = delivery.key if delivery.key is not None else delivery.offset
        lane_key = (delivery.topic, delivery.partition, key)
        lane = self._lanes.get(lane_key)
        if lane is None:
            lane = self._lanes[lane_key] = _Lane()
            lane.task = asyncio.create_task(self._work(lane_key, lane))
        lane.queue.append((delivery, offsets))
        self.in_flight += 1
        if self.in_flight >= self.max_in_flight and not self.paused:
            self._set_paused(True)

    def _set_paused(self, paused: bool) -> None:
        with self._lock:
            self.paused = paused
            partitions = [TopicPartition(t, p) for t, p in self._partitions]
        if partitions:
            (self.consumer.pause if paused else self.consumer.resume)(partitions)

    async def _work(self, lane_key: LaneKey, lane: _Lane) -> None:
        try:
            while lane.queue:
                delivery, offsets = lane.queue.popleft()
                try:
                    await self._handle(delivery)
                    # Not on cancellation (shutdown): an abandoned message stays unfinished.
                    offsets.finished(delivery.offset)
                finally:
                    self.in_flight -= 1
                    if self.paused and self.in_flight <= self.resume_at:
                        self._set_paused(False)
        finally:
            if self._lanes.get(lane_key) is lane:
                del self._lanes[lane_key]

    async def _handle(self, delivery: Delivery) -> None:
        """Run the handler; transient failures (database down) are retried until they pass,
        anything else POISON_ATTEMPTS times before the message goes to `on_poison`."""
        failures = 0
        while True:
            try:
                await self.handler(delivery)
                return
            except Exception as error:
                transient = self.is_transient(error)
                failures += 0 if transient else 1
                if failures >= POISON_ATTEMPTS:
                    logger.error(
                        "message %s:%s:%s is poison",
                        delivery.topic,
                        delivery.partition,
                        delivery.offset,
                        exc_info=error,
                    )
                    await self.on_poison(delivery, error)
                    return
                logger.warning(
                    "handling %s:%s failed (%s); retrying",
                    delivery.partition,
                    delivery.offset,
                    error,
                )
                await asyncio.sleep(min(0.2 * 2**failures, 5.0) if not transient else 1.0)

    def _store_positions(self) -> None:
        """On the poll thread: store each assigned partition's safe position if it moved."""
        with self._lock:
            moved = [(o, o.changed()) for o in self._partitions.values()]
        positions = [(o, p) for o, p in moved if p is not None]
        if not positions:
            return
        try:
            self.consumer.store_offsets(
                offsets=[TopicPartition(o.topic, o.partition, p) for o, p in positions]
            )
        except KafkaException as error:
            # A partition went to another member meanwhile: it redelivers from its committed
            # position, and the handler's dedupe makes that harmless.
            logger.info("offsets not stored: %s", error)
            return
        for offsets, position in positions:
            offsets.mark_stored(position)

    def _assigned(self, consumer: Consumer, partitions: list[TopicPartition]) -> None:
        with self._lock:
            for tp in partitions:
                key = (tp.topic, tp.partition)
                self._partitions[key] = PartitionOffsets(tp.topic, tp.partition)
            paused = self.paused
        if self._cooperative:
            consumer.incremental_assign(partitions)
        else:
            consumer.assign(partitions)
        if partitions:
            (consumer.pause if paused else consumer.resume)(partitions)

    def _revoked(self, consumer: Consumer, partitions: list[TopicPartition]) -> None:
        self._give_up(consumer, partitions, commit=True)

    def _lost(self, consumer: Consumer, partitions: list[TopicPartition]) -> None:
        # Lost (evicted): the group has moved on, a commit would be refused.
        self._give_up(consumer, partitions, commit=False)

    def _give_up(
        self, consumer: Consumer, partitions: list[TopicPartition], *, commit: bool
    ) -> None:
        """On the poll thread: commit each partition's safe position while it is still ours,
        then stop its messages from storing anything and drop its queued ones."""
        positions: list[TopicPartition] = []
        with self._lock:
            for tp in partitions:
                offsets = self._partitions.pop((tp.topic, tp.partition), None)
                if offsets is None:
                    continue
                offsets.assigned = False
                position = offsets.position()
                if position is not None:
                    positions.append(TopicPartition(tp.topic, tp.partition, position))
        if commit and positions:
            try:
                consumer.store_offsets(offsets=positions)
                consumer.commit(offsets=positions, asynchronous=False)
            except KafkaException as error:
                logger.warning("commit on revoke failed (%s); messages may be redelivered", error)
        if self._loop is not None and partitions:
            self._loop.call_soon_threadsafe(self._drop_unassigned)

    def _drop_unassigned(self) -> None:
        """Queued messages of partitions no longer assigned leave their lanes (the message in
        hand finishes; its owner may handle it too, which the ledger makes harmless)."""
        for lane in self._lanes.values():
            kept = deque(item for item in lane.queue if item[1].assigned)
            self.in_flight -= len(lane.queue) - len(kept)
            lane.queue = kept
        if self.paused and self.in_flight <= self.resume_at:
            self._set_paused(False)

    async def _drain(self, grace: float) -> None:
        """Stop taking messages; let each message in hand finish for up to `grace` s."""
        for lane in self._lanes.values():
            self.in_flight -= len(lane.queue)
            lane.queue.clear()
        tasks = [lane.task for lane in self._lanes.values() if lane.task is not None]
        if not tasks:
            return
        _, pending = await asyncio.wait(tasks, timeout=grace)
        for task in tasks:
            task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.gather(*tasks, return_exceptions=True)
        if pending:
            logger.warning(
                "%d message(s) abandoned at shutdown; they will be redelivered", len(pending)
            )

    def _close(self) -> None:
        self._store_positions()
        self.consumer.close()  # revokes (and so commits) what is still assigned

    async def lag(self) -> dict[tuple[str, int], int]:
        """Messages behind the end of each assigned partition (from cached watermarks)."""
        return dict(await self._call(self._lag))

    def _lag(self) -> dict[tuple[str, int], int]:
        result: dict[tuple[str, int], int] = {}
        for position in self.consumer.position(self.consumer.assignment()):
            if position.offset < 0:
                continue
            _, high = self.consumer.get_watermark_offsets(position, cached=True)
            result[(position.topic, position.partition)] = max(high - position.offset, 0)
        return result
