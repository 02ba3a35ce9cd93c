"""Relay benchmark: (a) drain 100,000 PENDING rows vs the raw producer rate (the producer
measured over BENCH_RAW_SECONDS each, median of 3 runs), (b) commit-to-consumer latency at a
steady offered command rate, commands committed through the unit of work (so the relay is woken
the way the API wakes it), with an agent worker consuming the same topic, beside (c) the
broker's own produce -> consume latency at the same rate (bench/_broker_floor.py): what the
relay's path adds is the difference. Prints its figures, then one JSON line.

Options (environment defaults): --relays N (1) relay processes, --keys K (BENCH_KEYS, 1000
aggregates), --rows (BENCH_ROWS, 100000), --seconds (BENCH_SECONDS, 60), --rate (BENCH_RATE,
500 commands/s); BENCH_RAW_SECONDS (3); DATABASE_URL / KAFKA_BOOTSTRAP_SERVERS to use existing
services (else embedded). Each relay runs as its own process (`SERVICE_TYPE=message-relay python
-m infinite_scribe`) with default settings (RELAY_* variables are passed on).
"""

import argparse
import asyncio
import contextlib
import json
import os
import signal
import statistics
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator

import asyncpg
import httpx

from _broker_floor import PARTITIONS, LatencyConsumer, raw_latency, raw_produce_median
from _harness import cpu_seconds, cpu_snapshot, per_event, stop, thread_cpu
from _services import WATCHED, broker, fresh_database
from infinite_scribe.application.ports.writes import Write
from infinite_scribe.embedded.kafka import free_port
from infinite_scribe.kafka.admin import ensure_topic
from infinite_scribe.persistence.database import create_pool
from infinite_scribe.persistence.outbox import slot as outbox_slot, switch as outbox_switch
from infinite_scribe.persistence.repositories import unit_of_work
from infinite_scribe.persistence.writes.composer import WriteComposer
from shared_types import EventEnvelope, EventMetadata


@contextlib.contextmanager
def agent_worker(url: str, servers: str, topic: str) -> Iterator[None]:
    """`scribe worker` consuming `topic` (CPU competition as in production)."""
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "KAFKA_BOOTSTRAP_SERVERS": servers,
        "KAFKA_TOPIC": topic,
        "WORKER_METRICS_PORT": "0",
        "LOG_LEVEL": "WARNING",
    }
    process = subprocess.Popen([sys.executable, "-m", "infinite_scribe.cli", "worker"], env=env)
    WATCHED["worker"] = process.pid
    try:
        settled(process)
        yield
    finally:
        stop(process, signal.SIGTERM, 20)


def settled(process: subprocess.Popen[bytes], limit: float = 30.0) -> None:
    """Wait until a started process has warmed up: its CPU under 10% of a core for half a
    second. Its start-up (jieba's dictionary: 1.5-3 s of CPU) ran into the first seconds of
    the latency run, and a 20 s run's p99 was the worker's warm-up, not the relay's."""
    deadline, last = time.monotonic() + limit, cpu_seconds(process.pid)
    while time.monotonic() < deadline:
        time.sleep(0.5)
        if process.poll() is not None:
            raise RuntimeError(f"{process.args!r} exited with {process.returncode}")
        now = cpu_seconds(process.pid)
        if now - last < 0.05:
            return
        last = now


def envelope(key: str, seq: int) -> dict[str, object]:
    event = EventEnvelope(
        event_type="Genesis.Session.FeedbackSubmitted",
        aggregate_type="GENESIS_SESSION",
        aggregate_id=key,
        aggregate_version=seq + 1,
        correlation_id=uuid.uuid4(),
        payload={"seq": seq, "feedback": "make the heroine braver " * 4},
        metadata=EventMetadata(user_id=str(uuid.uuid4()), source_service="bench"),
    )
    return event.model_dump(mode="json")


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    env = os.environ.get
    parser.add_argument("--relays", type=int, default=1, help="relay processes")
    parser.add_argument("--keys", type=int, default=int(env("BENCH_KEYS", "1000")))
    parser.add_argument("--rows", type=int, default=int(env("BENCH_ROWS", "100000")))
    parser.add_argument("--seconds", type=float, default=float(env("BENCH_SECONDS", "60")))
    parser.add_argument("--rate", type=float, default=float(env("BENCH_RATE", "500")))
    parser.add_argument(
        "--mode", choices=("table", "logical"), default="table", help="the outbox (decision 2600)"
    )
    return parser.parse_args()


def start_relay(
    url: str, servers: str, metrics_port: int, number: int = 0
) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "SERVICE_TYPE": "message-relay",
        "DATABASE_URL": url,
        "KAFKA_BOOTSTRAP_SERVERS": servers,
        "RELAY_METRICS_PORT": str(metrics_port),
        "LOG_LEVEL": "WARNING",
    }
    process = subprocess.Popen([sys.executable, "-m", "infinite_scribe"], env=env)
    WATCHED[f"relay{number or ''}"] = process.pid
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        with contextlib.suppress(httpx.HTTPError):
            httpx.get(f"http://127.0.0.1:{metrics_port}/health", timeout=1)
            return process
        time.sleep(0.1)
    process.kill()
    raise RuntimeError("relay did not start")


async def published(client: httpx.AsyncClient, metrics_ports: list[int]) -> float:
    """Messages acknowledged so far by every relay together."""
    total = 0.0
    for port in metrics_ports:
        text = (await client.get(f"http://127.0.0.1:{port}/metrics")).text
        for line in text.splitlines():
            if line.startswith("relay_published_total"):
                total += float(line.split()[-1])
    return total


#: The outbox rows of the drain, committed at once.
INSERT_ROWS = (
    "WITH rows AS (INSERT INTO event_outbox (event_id, topic, key, payload) "
    "SELECT (e->>'event_id')::uuid, $1, e->>'aggregate_id', e "
    "FROM unnest($2::text[]::jsonb[]) WITH ORDINALITY AS t(e, n) ORDER BY n RETURNING 1) "
    "SELECT count(*), pg_notify('event_outbox_pending', '') FROM rows"
)
#: The same as messages in the logical mode's format (persistence/outbox/rows.py), in one commit.
EMIT_MESSAGES = (
    "WITH m AS (SELECT pg_logical_emit_message(true, 'infinite-scribe.outbox', "
    "outbox_message($1, e)) FROM unnest($2::text[]::jsonb[]) WITH ORDINALITY AS t(e, n) "
    "ORDER BY n) SELECT count(*), pg_notify('event_outbox_pending', '') FROM m"
)


async def drain(
    url: str, topic: str, envelopes: list[dict[str, object]], metrics_ports: list[int], mode: str
) -> float:
    """Commit every event at once (one statement + NOTIFY) and time until the relays acked them
    all."""
    connection = await asyncpg.connect(url)
    try:
        started = time.perf_counter()
        await connection.execute(
            EMIT_MESSAGES if mode == "logical" else INSERT_ROWS,
            topic,
            [json.dumps(e) for e in envelopes],
        )
        committed = time.perf_counter()
        cpu_before = cpu_snapshot()
        relay_pid = WATCHED.get("relay")
        threads_before = thread_cpu(relay_pid) if relay_pid else {}
        print(f"  inserted {len(envelopes)} rows in {committed - started:.2f}s", flush=True)
        # Watch the relay's own counter (polling the outbox would add database load).
        async with httpx.AsyncClient(timeout=5) as client:
            while await published(client, metrics_ports) < len(envelopes):  # noqa: ASYNC110
                await asyncio.sleep(0.02)
        elapsed = time.perf_counter() - committed
        cpu_after = cpu_snapshot()
        if relay_pid:
            threads = per_event(threads_before, thread_cpu(relay_pid), len(envelopes))
            print(f"  relay CPU per drained event by thread: {threads}", flush=True)
        spent = {
            name: (cpu_after[name] - cpu_before.get(name, 0.0)) * 1e6 / len(envelopes)
            for name in cpu_after
        }
        if spent:
            print(
                "  CPU per drained event: "
                + ", ".join(f"{name} {us:.1f} us" for name, us in spent.items()),
                flush=True,
            )
        return elapsed
    finally:
        await connection.close()


async def latency(url: str, servers: str, topic: str, seconds: float, rate: float) -> list[float]:
    consumer = LatencyConsumer(servers, topic)
    consumer.start()
    await asyncio.sleep(2)  # let the consumer reach the partitions' ends
    pool = await create_pool(url, min_size=4, max_size=8)
    # The API's write path: no NOTIFY in the transaction, a coalesced one after the commit.
    try:
        uow = unit_of_work(pool, WriteComposer(topic), url)
    except TypeError:  # the code before issue 13 (paired runs against main): NOTIFY per commit
        uow = unit_of_work(pool, WriteComposer(topic))
    committed: dict[bytes, float] = {}

    async def command(seq: int) -> None:
        event = EventEnvelope.model_validate(envelope(f"session-{seq % 200}-{uuid.uuid4()}", 0))
        async with uow.transaction() as tx:
            await tx.write(Write(events=[event]))
        committed[str(event.event_id).encode()] = time.time()

    total = int(seconds * rate)
    tasks = []
    started = time.monotonic()
    for seq in range(total):
        delay = started + seq / rate - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(command(seq)))
    await asyncio.gather(*tasks)
    deadline = time.monotonic() + 15
    while len(consumer.seen) < total and time.monotonic() < deadline:  # noqa: ASYNC110
        await asyncio.sleep(0.1)
    consumer.running = False
    consumer.join(5)
    notifier = getattr(uow, "notifier", None)
    if notifier is not None:
        print(f"  {notifier.sent} NOTIFYs for {total} commits", flush=True)
    await pool.close()
    missing = total - sum(1 for k in committed if k in consumer.seen)
    if missing:
        print(f"  WARNING: {missing} events not seen by the consumer", flush=True)
    return [(consumer.seen[k] - t) * 1000 for k, t in committed.items() if k in consumer.seen]


async def switch_logical(url: str, on: bool) -> None:
    """The logical outbox on (slot, writers emit) or its slot dropped (decision 2600)."""
    connection = await asyncpg.connect(url)
    try:
        await (outbox_switch.switch_on if on else outbox_slot.drop)(connection)
    finally:
        await connection.close()


def print_cpu_per_event(
    before: dict[str, float], after: dict[str, float], events: int, rate: float
) -> None:
    """Each process's CPU per event of the latency run: who the machine worked for."""
    spent = {name: (after[name] - before.get(name, 0.0)) * 1e6 / max(events, 1) for name in after}
    print(
        f"  CPU per event at {rate:.0f}/s: "
        + ", ".join(f"{name} {us:.0f} us" for name, us in spent.items()),
        flush=True,
    )


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def main() -> None:
    args = arguments()
    with fresh_database() as url, broker() as servers:
        topics = [f"bench-{n}-{uuid.uuid4().hex[:6]}" for n in "drlf"]
        drain_topic, raw_topic, latency_topic, floor_topic = topics
        for topic in topics:
            ensure_topic(servers, topic, PARTITIONS)
        keys = [str(uuid.uuid4()) for _ in range(args.keys)]
        envelopes = [envelope(keys[i % args.keys], i // args.keys) for i in range(args.rows)]
        print(
            f"relay bench ({args.mode} outbox): {args.relays} relay(s), {args.rows} events over "
            f"{args.keys} keys, "
            f"{args.seconds:.0f}s at {args.rate:.0f}/s"
        )
        raw_rate = raw_produce_median(servers, raw_topic, envelopes)
        print(f"  raw producer: {raw_rate:,.0f} msg/s (median of 3)", flush=True)
        if args.mode == "logical":
            asyncio.run(switch_logical(url, True))
        ports = [free_port() for _ in range(args.relays)]
        relays = [start_relay(url, servers, port, n) for n, port in enumerate(ports)]
        try:
            elapsed = asyncio.run(drain(url, drain_topic, envelopes, ports, args.mode))
            drain_rate = args.rows / elapsed
            print(f"  relay drain: {drain_rate:,.0f} events/s ({elapsed:.2f}s)", flush=True)
            print(
                f"  load average after the drain: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs"
            )
            with agent_worker(url, servers, latency_topic):
                cpu_before = cpu_snapshot()
                latencies = asyncio.run(
                    latency(url, servers, latency_topic, args.seconds, args.rate)
                )
                print_cpu_per_event(cpu_before, cpu_snapshot(), len(latencies), args.rate)
            with agent_worker(url, servers, floor_topic):  # the same competition for the CPU
                floor = raw_latency(servers, floor_topic, args.seconds, args.rate)
        finally:
            for relay in relays:
                relay.terminate()
            for relay in relays:
                relay.wait(15)
            if args.mode == "logical":
                asyncio.run(switch_logical(url, False))  # a database with a slot stays
        p50, p99 = percentile(latencies, 0.50), percentile(latencies, 0.99)
        print(
            f"  commit->consumer latency at {args.rate:.0f}/s: p50 {p50:.1f} ms, p99 {p99:.1f} ms, "
            f"max {max(latencies):.1f} ms, mean {statistics.fmean(latencies):.1f} ms "
            f"({len(latencies)} events)"
        )
        floor_p50, floor_p99 = percentile(floor, 0.50), percentile(floor, 0.99)
        print(
            f"  the broker alone, produce->consumer at {args.rate:.0f}/s (same consumer, worker "
            f"running): p50 {floor_p50:.1f} ms, p99 {floor_p99:.1f} ms; the relay's path adds "
            f"{p50 - floor_p50:.1f} ms at p50, {p99 - floor_p99:.1f} ms at p99"
        )
        result = {
            "bench": "relay",
            "mode": args.mode,
            "relays": args.relays,
            "keys": args.keys,
            "drain_events_per_s": round(drain_rate, 1),
            "raw_produce_per_s": round(raw_rate, 1),
            "ratio": round(drain_rate / raw_rate, 3),
            "latency_p50_ms": round(p50, 2),
            "latency_p99_ms": round(p99, 2),
            "broker_latency_p50_ms": round(floor_p50, 2),
            "broker_latency_p99_ms": round(floor_p99, 2),
        }
        print(json.dumps(result))


if __name__ == "__main__":
    main()
