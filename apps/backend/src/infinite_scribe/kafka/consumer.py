"""A consumer-group loop for asyncio workers (confluent-kafka): one thread polls, each assigned
partition is handled in order by a lane of its own, and an offset is stored only after its
message was handled (so only committed work is ever skipped after a restart).

Long handling never gets the consumer thrown out of its group: polling goes on while lanes
work, and a partition whose lane is full is paused (not read) until the lane catches up.
"""

import asyncio
import contextlib
import logging
from collections import deque
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from confluent_kafka import Consumer, KafkaException, Message, TopicPartition

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

#: Attempts at a message whose handler keeps raising a non-transient error before it is
#: handed to `on_poison` (the dead-letter topic) so that it never blocks its partition.
POISON_ATTEMPTS = 3


class _Lane:
    """The messages of one partition, handled one after another."""

    def __init__(self) -> None:
        self.queue: asyncio.Queue[Delivery] = asyncio.Queue()
        self.task: asyncio.Task[None] | None = None
        self.paused = False
        self.busy = False
        self.retired = False


class PartitionedConsumer:
    """Consume `topics` in group `config['group.id']`, calling `handler` per message."""

    def __init__(
        self,
        config: dict[str, Any],
        topics: list[str],
        handler: Handler,
        *,
        on_poison: PoisonHandler,
        is_transient: Callable[[BaseException], bool],
        max_queued: int = 32,
        poll_timeout: float = 0.1,
    ) -> None:
        settings = dict(config)
        # Offsets are stored by us after the handler's transaction committed; librdkafka then
        # commits stored offsets in the background (and on close).
        settings.update({"enable.auto.offset.store": False, "enable.auto.commit": True})
        settings.setdefault("auto.offset.reset", "earliest")
        self.consumer = Consumer(settings)
        self.topics = topics
        self.handler = handler
        self.on_poison = on_poison
        self.is_transient = is_transient
        self.max_queued = max_queued
        self.poll_timeout = poll_timeout
        # Offsets of handled messages, stored by the poll thread before each poll: called from
        # the event loop, store_offsets waited for the poll in progress (librdkafka's locks) and
        # stalled every lane with it (measured: 12 requests/s end to end instead of hundreds).
        self._handled: deque[TopicPartition] = deque()
        # Polling blocks, so it runs on a thread of its own. Pausing and
        # resuming are quick, thread-safe librdkafka calls made from the event loop directly:
        # queued behind a poll they would cap each partition at one message per poll timeout.
        self._thread = ThreadPoolExecutor(1, thread_name_prefix="kafka-consumer")
        self._lanes: dict[tuple[str, int], _Lane] = {}
        self._loop: asyncio.AbstractEventLoop | None = None

    async def _call(self, function: Callable[..., Any], *args: Any) -> Any:
        assert self._loop is not None
        return await self._loop.run_in_executor(self._thread, function, *args)

    async def run(self, stop: asyncio.Event, grace: float) -> None:
        """Poll and dispatch until `stop`; then give lanes `grace` seconds and close."""
        self._loop = asyncio.get_running_loop()
        await self._call(lambda: self.consumer.subscribe(self.topics, on_revoke=self._revoked))
        try:
            while not stop.is_set():
                for message in await self._call(self._poll_batch):
                    self._dispatch(message)
                self._resume_drained()
        finally:
            await self._drain(grace)
            await self._call(self._store_handled)
            await self._call(self.consumer.close)
            self._thread.shutdown(wait=False)

    def _poll_batch(self) -> list[Message]:
        self._store_handled()
        first = self.consumer.poll(self.poll_timeout)
        if first is None:
            return []
        # What is already fetched comes at once; consume() with no wait never blocks.
        return [first, *self.consumer.consume(255, 0)]

    def _dispatch(self, message: Message) -> None:
        if message.error() is not None:
            logger.warning("consumer error: %s", message.error())
            return
        delivery = Delivery.of(message)
        key = (delivery.topic, delivery.partition)
        lane = self._lanes.get(key)
        if lane is None or lane.task is None or lane.task.done():
            lane = self._lanes[key] = _Lane()
            lane.task = asyncio.create_task(self._work(lane))
        lane.queue.put_nowait(delivery)
        if lane.queue.qsize() >= self.max_queued and not lane.paused:
            lane.paused = True
            partition = TopicPartition(delivery.topic, delivery.partition)
            self.consumer.pause([partition])  # cheap, non-blocking; safe beside poll

    def _resume_drained(self) -> None:
        for (topic, partition), lane in self._lanes.items():
            if lane.paused and lane.queue.qsize() <= self.max_queued // 2:
                lane.paused = False
                self.consumer.resume([TopicPartition(topic, partition)])

    async def _work(self, lane: _Lane) -> None:
        while not (lane.retired and lane.queue.empty()):
            delivery = await lane.queue.get()
            lane.busy = True
            await self._handle(delivery)
            self._store(delivery)
            lane.busy = False

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

    def _store(self, delivery: Delivery) -> None:
        """Mark `delivery` handled; the poll thread stores its offset (`_store_handled`)."""
        self._handled.append(
            TopicPartition(delivery.topic, delivery.partition, delivery.offset + 1)
        )

    def _store_handled(self) -> None:
        """On the poll thread: store the newest handled offset of each partition."""
        newest: dict[tuple[str, int], TopicPartition] = {}
        while self._handled:  # deque appends/pops are atomic: no lock with the event loop
            position = self._handled.popleft()
            newest[(position.topic, position.partition)] = position  # lanes go in order
        for position in newest.values():
            try:
                self.consumer.store_offsets(offsets=[position])
            except KafkaException as error:
                # The partition went to another member meanwhile: it will redeliver the
                # message, and the handler's dedupe makes that harmless.
                logger.info("offset of %s not stored: %s", position, error)

    def _revoked(self, consumer: Consumer, partitions: list[TopicPartition]) -> None:
        # Runs on the consumer thread during poll: what was handled is stored first, while the
        # partitions are still ours; queued messages of a revoked partition are dropped (its
        # next owner reads them again from the last stored offset).
        self._store_handled()
        for partition in partitions:
            lane = self._lanes.pop((partition.topic, partition.partition), None)
            if lane is not None and self._loop is not None:
                self._loop.call_soon_threadsafe(self._retire, lane)

    @staticmethod
    def _retire(lane: _Lane) -> None:
        # The message in hand is finished (its offset store then fails harmlessly); an idle
        # lane's task ends at once.
        while not lane.queue.empty():
            lane.queue.get_nowait()
        lane.retired = True
        if lane.task is not None and not lane.busy:
            lane.task.cancel()

    async def _drain(self, grace: float) -> None:
        """Stop taking messages; let each lane finish the one in hand for up to `grace` s."""
        tasks = []
        for lane in self._lanes.values():
            self._retire(lane)
            if lane.task is not None and lane.busy:
                tasks.append(lane.task)
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
