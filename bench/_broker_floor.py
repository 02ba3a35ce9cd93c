"""The broker's own figures, measured in the same run as what is compared with them: the raw
producer's rate (the relay's drain is a ratio of it) and the raw produce -> consume latency at a
steady rate (the floor under the relay's commit -> consumer latency)."""

import json
import os
import statistics
import threading
import time
import uuid

from confluent_kafka import OFFSET_END, Consumer, Producer, TopicPartition

RAW_SECONDS = float(os.environ.get("BENCH_RAW_SECONDS", "3"))
PARTITIONS = 6
#: The relay's producer settings (kafka/producer.py).
PRODUCER_SETTINGS = {"enable.idempotence": True, "acks": "all", "linger.ms": 2}


def raw_produce(servers: str, topic: str, envelopes: list[dict[str, object]]) -> float:
    """The same messages straight to the broker with the relay's producer settings, cycled
    until RAW_SECONDS have passed (a sub-second run is mostly noise), flush included."""
    producer = Producer({"bootstrap.servers": servers, **PRODUCER_SETTINGS})
    messages = [
        (
            json.dumps(e).encode(),
            str(e["aggregate_id"]).encode(),
            [("ce_id", str(e["event_id"]).encode())],
        )
        for e in envelopes
    ]
    started = time.perf_counter()
    sent = 0
    while sent == 0 or time.perf_counter() - started < RAW_SECONDS:
        for value, key, headers in messages[:10_000] if sent else messages:
            while True:
                try:
                    producer.produce(topic, value, key, headers=headers)
                    break
                except BufferError:
                    producer.poll(0.01)
            sent += 1
    producer.flush(120)
    return sent / (time.perf_counter() - started)


def raw_produce_median(servers: str, topic: str, envelopes: list[dict[str, object]]) -> float:
    rates = [raw_produce(servers, topic, envelopes) for _ in range(3)]
    print("  raw producer runs: " + ", ".join(f"{r:,.0f}" for r in rates) + " msg/s", flush=True)
    return statistics.median(rates)


class LatencyConsumer(threading.Thread):
    """Records when each ce_id becomes readable (partitions assigned at the end, no group join)."""

    def __init__(self, servers: str, topic: str) -> None:
        super().__init__(daemon=True)
        self.seen: dict[bytes, float] = {}
        self.running = True
        self.consumer = Consumer(
            {"bootstrap.servers": servers, "group.id": "bench", "fetch.wait.max.ms": 5}
        )
        self.consumer.assign([TopicPartition(topic, p, OFFSET_END) for p in range(PARTITIONS)])

    def run(self) -> None:
        while self.running:
            # poll(), not consume(n, timeout): a batch consume waits out its whole timeout
            # unless n messages arrive, which would add up to `timeout` to every latency.
            message = self.consumer.poll(0.05)
            if message is None or message.error():
                continue
            now = time.time()
            for name, value in message.headers() or []:
                if name == "ce_id":
                    self.seen.setdefault(value, now)
        self.consumer.close()


def raw_latency(servers: str, topic: str, seconds: float, rate: float) -> list[float]:
    """Produce -> consume latency of the broker alone, in ms: messages of the relay's size
    produced at `rate` with the relay's settings, read by the same consumer as the relay's
    (a producer warmed first: its start-up is not the broker's latency)."""
    consumer = LatencyConsumer(servers, topic)
    consumer.start()
    time.sleep(2)  # the consumer at the partitions' ends
    producer = Producer({"bootstrap.servers": servers, **PRODUCER_SETTINGS})
    producer.produce(topic, b"warm-up", b"warm-up")
    producer.flush(10)
    value = json.dumps({"feedback": "make the heroine braver " * 4, "pad": "x" * 600}).encode()
    sent: dict[bytes, float] = {}
    started = time.monotonic()
    for seq in range(int(seconds * rate)):
        delay = started + seq / rate - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        event_id = str(uuid.uuid4()).encode()
        sent[event_id] = time.time()
        producer.produce(topic, value, f"key-{seq % 1000}", headers=[("ce_id", event_id)])
        producer.poll(0)
    producer.flush(30)
    deadline = time.monotonic() + 15
    while len(consumer.seen) < len(sent) and time.monotonic() < deadline:
        time.sleep(0.1)
    consumer.running = False
    consumer.join(5)
    return [(consumer.seen[k] - t) * 1000 for k, t in sent.items() if k in consumer.seen]
