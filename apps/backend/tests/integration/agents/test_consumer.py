"""The key-ordered consumer against the real broker: per-key order, offsets stored only after
handling, poison messages to the dead-letter topic, transient failures retried."""

import asyncio
import uuid
from collections import defaultdict

import pytest
from confluent_kafka import Producer

from infinite_scribe.kafka.admin import ensure_topic
from infinite_scribe.kafka.consumer import Delivery, KeyedConsumer
from infinite_scribe.kafka.dead_letters import DeadLetters, read_dead_letters, replay_dead_letters

pytestmark = [pytest.mark.kafka, pytest.mark.slow]


def _topic(servers: str, partitions: int = 3) -> str:
    topic = f"agent-test-{uuid.uuid4().hex[:10]}"
    ensure_topic(servers, topic, partitions)
    return topic


def _produce(servers: str, topic: str, keys: list[str], per_key: int) -> None:
    producer = Producer({"bootstrap.servers": servers})
    for seq in range(per_key):
        for key in keys:
            producer.produce(topic, key=key, value=f"{key}:{seq}".encode())
    assert producer.flush(10) == 0


def _consumer(servers: str, topic: str, group: str, handler, poison=None) -> KeyedConsumer:  # type: ignore[no-untyped-def]
    async def no_poison(delivery: Delivery, error: BaseException) -> None:
        raise AssertionError(f"unexpected poison {delivery.offset}: {error}")

    return KeyedConsumer(
        {"bootstrap.servers": servers, "group.id": group, "session.timeout.ms": 6000},
        [topic],
        handler,
        on_poison=poison or no_poison,
        is_transient=lambda error: isinstance(error, ConnectionError),
        max_in_flight=4,
    )


async def _run_until(consumer: KeyedConsumer, done: asyncio.Event, within: float = 60) -> None:
    stop = asyncio.Event()
    runner = asyncio.create_task(consumer.run(stop, grace=2))
    try:
        await asyncio.wait_for(done.wait(), within)
    finally:
        stop.set()
        await asyncio.wait_for(runner, 30)


async def test_per_key_order_and_offsets_survive_a_restart(kafka_bootstrap: str) -> None:
    topic, group = _topic(kafka_bootstrap), f"g-{uuid.uuid4().hex[:8]}"
    keys = [f"k{n}" for n in range(6)]
    _produce(kafka_bootstrap, topic, keys, 10)
    seen: dict[str, list[int]] = defaultdict(list)
    done = asyncio.Event()

    async def handle(delivery: Delivery) -> None:
        key, seq = (delivery.value or b"").decode().split(":")
        await asyncio.sleep(0.002 * (int(seq) % 3))  # uneven handling times across keys
        seen[key].append(int(seq))
        if sum(map(len, seen.values())) == 60:
            done.set()

    await _run_until(_consumer(kafka_bootstrap, topic, group, handle), done)
    assert {key: seen[key] for key in keys} == {key: list(range(10)) for key in keys}

    # A new member of the same group starts after the stored offsets: nothing is read twice.
    _produce(kafka_bootstrap, topic, ["k0"], 1)
    again: list[bytes] = []
    more = asyncio.Event()

    async def handle_again(delivery: Delivery) -> None:
        again.append(delivery.value or b"")
        more.set()

    await _run_until(_consumer(kafka_bootstrap, topic, group, handle_again), more)
    await asyncio.sleep(0.5)
    assert again == [b"k0:0"]


async def test_poison_goes_to_the_dead_letter_topic_and_the_partition_moves_on(
    kafka_bootstrap: str,
) -> None:
    topic, group = _topic(kafka_bootstrap, 1), f"g-{uuid.uuid4().hex[:8]}"
    _produce(kafka_bootstrap, topic, ["only"], 5)
    handled: list[str] = []
    attempts: dict[str, int] = defaultdict(int)
    done = asyncio.Event()
    dead = DeadLetters(kafka_bootstrap, group)

    async def handle(delivery: Delivery) -> None:
        value = (delivery.value or b"").decode()
        attempts[value] += 1
        if value == "only:1":
            raise ValueError("cannot parse this one")
        if value == "only:3" and attempts[value] < 3:
            raise ConnectionError("database restarting")  # transient: retried, never poison
        handled.append(value)
        if len(handled) == 4:
            done.set()

    async def poison(delivery: Delivery, error: BaseException) -> None:
        await dead.send(delivery, type(error).__name__, str(error))

    await _run_until(_consumer(kafka_bootstrap, topic, group, handle, poison), done)
    dead.close()
    assert handled == ["only:0", "only:2", "only:3", "only:4"]
    assert attempts["only:1"] == 3 and attempts["only:3"] == 3

    letters = list(read_dead_letters(kafka_bootstrap, topic))
    assert [letter.value for letter in letters] == [b"only:1"]
    (letter,) = letters
    assert letter.headers["dlq_error_class"] == "ValueError"
    assert letter.headers["dlq_original_topic"] == topic
    assert letter.headers["dlq_original_offset"] == "1"
    assert letter.key == "only"

    assert replay_dead_letters(kafka_bootstrap, letters) == 1
    replayed: list[Delivery] = []
    got = asyncio.Event()

    async def handle_replay(delivery: Delivery) -> None:
        replayed.append(delivery)
        got.set()

    await _run_until(_consumer(kafka_bootstrap, topic, group, handle_replay), got)
    assert replayed[0].value == b"only:1"
    assert replayed[0].header("dlq_replayed_from") == f"{letter.partition}:{letter.offset}"


async def test_keys_run_concurrently_up_to_the_in_flight_bound(kafka_bootstrap: str) -> None:
    topic, group = _topic(kafka_bootstrap, 1), f"g-{uuid.uuid4().hex[:8]}"
    keys = [f"k{n}" for n in range(6)]
    _produce(kafka_bootstrap, topic, keys, 3)  # one partition: only keys can run in parallel
    running, peak = 0, 0
    seen: dict[str, list[int]] = defaultdict(list)
    done = asyncio.Event()

    async def handle(delivery: Delivery) -> None:
        nonlocal running, peak
        key, seq = (delivery.value or b"").decode().split(":")
        running += 1
        peak = max(peak, running)
        await asyncio.sleep(0.2)
        running -= 1
        seen[key].append(int(seq))
        if sum(map(len, seen.values())) == 18:
            done.set()

    consumer = _consumer(kafka_bootstrap, topic, group, handle)  # max_in_flight=4
    await _run_until(consumer, done)
    assert {key: seen[key] for key in keys} == {key: [0, 1, 2] for key in keys}
    assert 2 <= peak <= 4, peak  # concurrent across keys, never past the bound
