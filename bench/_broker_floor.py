"""The broker's own figures, measured in the same run as what is compared with them: the raw
producer's rate (the relay's drain is a ratio of it) and the raw produce -> consume latency at a
steady rate (the floor under the relay's commit -> consumer latency)."""

import json
import os
import signal
import statistics
import subprocess
import sys
import threading
import time
import uuid

from confluent_kafka import Producer

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


#: The latency consumer's process: it prints "ce_id seen-at" lines, a batch every 0.1 s.
_CONSUMER = """
import signal, sys, time
from confluent_kafka import OFFSET_END, Consumer, TopicPartition
servers, topic, partitions = sys.argv[1], sys.argv[2], int(sys.argv[3])
running = True
def stop(*_):
    global running
    running = False
signal.signal(signal.SIGTERM, stop)
consumer = Consumer({"bootstrap.servers": servers, "group.id": "bench", "fetch.wait.max.ms": 5})
consumer.assign([TopicPartition(topic, p, OFFSET_END) for p in range(partitions)])
lines, flushed = [], time.monotonic()
while running:
    # poll(), not consume(n, timeout): a batch consume waits out its whole timeout
    # unless n messages arrive, which would add up to `timeout` to every latency.
    message = consumer.poll(0.05)
    if message is not None and not message.error():
        now = time.time()
        for name, value in message.headers() or []:
            if name == "ce_id":
                lines.append(f"{value.decode()} {now!r}\\n")
    if lines and time.monotonic() - flushed > 0.1:
        sys.stdout.write("".join(lines))
        sys.stdout.flush()
        lines, flushed = [], time.monotonic()
sys.stdout.write("".join(lines))
consumer.close()
"""


class LatencyConsumer(threading.Thread):
    """Records when each ce_id becomes readable (partitions assigned at the end, no group join).
    The consumer runs in a process of its own: in the bench's process it waited for the GIL
    behind the commands the bench writes (up to the 5 ms switch interval a message), which the
    relay's latency run paid and the broker's floor run did not. This thread only reads its
    lines."""

    def __init__(self, servers: str, topic: str) -> None:
        super().__init__(daemon=True)
        self.seen: dict[bytes, float] = {}
        self.process = subprocess.Popen(
            [sys.executable, "-c", _CONSUMER, servers, topic, str(PARTITIONS)],
            stdout=subprocess.PIPE,
            text=True,
        )

    @property
    def running(self) -> bool:
        return self.process.poll() is None

    @running.setter
    def running(self, value: bool) -> None:
        if not value and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)

    def run(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            event_id, _, seen_at = line.partition(" ")
            self.seen.setdefault(event_id.encode(), float(seen_at))
        self.process.wait()


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
