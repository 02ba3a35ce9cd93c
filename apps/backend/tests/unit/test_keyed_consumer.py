"""The keyed consumer's dispatch and offset logic with a fake librdkafka consumer (issue 25):
one key's messages are handled in order while other keys run beside them; the stored offset
never passes a message that is not finished; the partitions pause at WORKER_MAX_IN_FLIGHT and
resume at three quarters of it; a revoked partition commits its safe position and drops what
was still queued."""

import asyncio
from typing import Any

from confluent_kafka import TopicPartition

from infinite_scribe.kafka.consumer import Delivery, KeyedConsumer


class FakeMessage:
    def __init__(self, offset: int, key: bytes | None) -> None:
        self._offset, self._key = offset, key

    def error(self) -> None:
        return None

    def topic(self) -> str:
        return "events"

    def partition(self) -> int:
        return 0

    def offset(self) -> int:
        return self._offset

    def key(self) -> bytes | None:
        return self._key

    def value(self) -> bytes:
        return b"{}"

    def headers(self) -> list[tuple[str, bytes]]:
        return []


class FakeConsumer:
    """What the keyed consumer asks of librdkafka, recorded."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, Any]] = []
        self.stored: list[int] = []

    def assign(self, partitions: list[TopicPartition]) -> None:
        self.calls.append(("assign", len(partitions)))

    def pause(self, partitions: list[TopicPartition]) -> None:
        self.calls.append(("pause", len(partitions)))

    def resume(self, partitions: list[TopicPartition]) -> None:
        self.calls.append(("resume", len(partitions)))

    def store_offsets(self, offsets: list[TopicPartition]) -> None:
        self.stored.extend(tp.offset for tp in offsets)

    def commit(self, offsets: list[TopicPartition], asynchronous: bool) -> None:
        self.calls.append(("commit", [tp.offset for tp in offsets]))


class Gate:
    """A handler whose messages finish when the test says so; records the order they start."""

    def __init__(self) -> None:
        self.started: list[int] = []
        self.release: dict[int, asyncio.Event] = {}

    async def __call__(self, delivery: Delivery) -> None:
        self.started.append(delivery.offset)
        await self.release.setdefault(delivery.offset, asyncio.Event()).wait()

    def finish(self, offset: int) -> None:
        self.release.setdefault(offset, asyncio.Event()).set()


async def _consumer(max_in_flight: int = 8) -> tuple[KeyedConsumer, FakeConsumer, Gate]:
    gate = Gate()

    async def poison(delivery: Delivery, error: BaseException) -> None:
        raise AssertionError(f"no poison expected: {error}")

    keyed = KeyedConsumer(
        {"bootstrap.servers": "127.0.0.1:9", "group.id": "unit"},
        ["events"],
        gate,
        on_poison=poison,
        is_transient=lambda error: False,
        max_in_flight=max_in_flight,
    )
    keyed.consumer.close()
    fake = FakeConsumer()
    keyed.consumer = fake  # type: ignore[assignment]
    keyed._loop = asyncio.get_running_loop()
    keyed._assigned(fake, [TopicPartition("events", 0)])  # type: ignore[arg-type]
    return keyed, fake, gate


async def _settle() -> None:
    for _ in range(5):
        await asyncio.sleep(0)


async def test_one_key_in_order_others_beside_it_and_the_offset_never_passes_a_gap() -> None:
    keyed, fake, gate = await _consumer()
    for offset, key in ((0, b"a"), (1, b"b"), (2, b"a"), (3, b"c")):
        keyed._dispatch(FakeMessage(offset, key))  # type: ignore[arg-type]
    await _settle()
    assert gate.started == [0, 1, 3]  # offset 2 waits behind offset 0 (same key)
    gate.finish(1)
    gate.finish(3)
    await _settle()
    keyed._store_positions()
    assert fake.stored == [0]  # 0 is not finished: the position stays before it
    gate.finish(0)
    await _settle()
    assert gate.started == [0, 1, 3, 2]
    keyed._store_positions()
    assert fake.stored == [0, 2]  # 0, 1 and 3 done; 2 still running
    gate.finish(2)
    await _settle()
    keyed._store_positions()
    assert fake.stored == [0, 2, 4] and keyed.in_flight == 0


async def test_pause_at_the_limit_and_resume_at_three_quarters() -> None:
    keyed, fake, gate = await _consumer(max_in_flight=4)
    for offset in range(4):
        keyed._dispatch(FakeMessage(offset, str(offset).encode()))  # type: ignore[arg-type]
    await _settle()
    assert keyed.paused and ("pause", 1) in fake.calls
    gate.finish(0)
    await _settle()
    assert not keyed.paused and fake.calls[-1] == ("resume", 1)  # 3 held: 3/4 of 4


async def test_a_revoked_partition_commits_its_safe_position_and_drops_its_queue() -> None:
    keyed, fake, gate = await _consumer()
    for offset in range(3):
        keyed._dispatch(FakeMessage(offset, b"same"))  # type: ignore[arg-type]
    await _settle()
    keyed._revoked(fake, [TopicPartition("events", 0)])  # type: ignore[arg-type]
    await _settle()
    assert ("commit", [0]) in fake.calls  # the first message is still in hand
    assert keyed.in_flight == 1  # the two queued behind it are dropped: the new owner reads them
    gate.finish(0)
    await _settle()
    assert gate.started == [0] and keyed.in_flight == 0
