"""What a logical-decoding relay could reach (issue 26's decision, docs/decisions/2600): the
same 100,000 events as bench/relay.py written as transactional `pg_logical_emit_message`s (no
outbox rows), read back through a `pgoutput` slot (`messages 'true'`) and produced to the
broker, acknowledged before the slot would be advanced. Prints the drain rate, the raw producer
rate and PostgreSQL's CPU per event, then one JSON line. Embedded services only (the server is
restarted with wal_level=logical).

    .venv/bin/python bench/logical_probe.py [--rows 100000] [--keys 1000]
"""

import argparse
import asyncio
import json
import struct
import tempfile
import time
import uuid
from pathlib import Path

import asyncpg
from confluent_kafka import Producer

from _broker_floor import raw_produce_median
from _services import WATCHED, broker
from infinite_scribe.embedded.postgres import EmbeddedPostgres
from infinite_scribe.kafka.admin import ensure_topic
from infinite_scribe.persistence.database import asyncpg_dsn
from relay import cpu_snapshot, envelope

SLOT_OPTIONS = "'proto_version', '1', 'publication_names', 'scribe_messages', 'messages', 'true'"


def messages(chunk: list[bytes]) -> list[tuple[str, bytes, bytes, bytes]]:
    """The emitted messages among pgoutput's binary records: (topic, key, event id, value)."""
    out = []
    for data in chunk:
        if data[:1] != b"M":
            continue  # Begin / Commit records
        prefix_end = data.index(b"\0", 10)
        (length,) = struct.unpack_from(">i", data, prefix_end + 1)
        content = data[prefix_end + 5 : prefix_end + 5 + length]
        topic, key, event_id, value = content.split(b"\0", 3)
        out.append((topic.decode(), key, event_id, value))
    return out


async def write(url: str, topic: str, envelopes: list[dict[str, object]]) -> None:
    connection = await asyncpg.connect(asyncpg_dsn(url))
    try:
        contents = [
            f"{topic}\0{e['aggregate_id']}\0{e['event_id']}\0{json.dumps(e)}".encode()
            for e in envelopes
        ]
        # 100 events per transaction: the slot decodes many commits, as under real writers.
        for start in range(0, len(contents), 100):
            await connection.execute(
                "SELECT count(pg_logical_emit_message(true, 'scribe', c)) "
                "FROM unnest($1::bytea[]) c",
                contents[start : start + 100],
            )
    finally:
        await connection.close()


async def drain(url: str, servers: str, rows: int, peek: bool) -> tuple[float, float]:
    connection = await asyncpg.connect(asyncpg_dsn(url))
    producer = Producer(
        {"bootstrap.servers": servers, "enable.idempotence": True, "acks": "all", "linger.ms": 2}
    )
    before, started, produced = cpu_snapshot(), time.perf_counter(), 0
    try:
        while produced < rows:
            verb = "peek" if peek else "get"
            chunk = await connection.fetch(
                f"SELECT lsn, data FROM pg_logical_slot_{verb}_binary_changes("
                f"'scribe', NULL, 20000, {SLOT_OPTIONS})"
            )
            for topic, key, event_id, value in messages([r["data"] for r in chunk]):
                while True:
                    try:
                        producer.produce(topic, value, key, headers=[("ce_id", event_id)])
                        break
                    except BufferError:
                        producer.poll(0.01)
                produced += 1
            producer.poll(0)
            if peek and chunk:
                # What a relay that loses nothing on kill -9 does: advance past acked messages.
                producer.flush(60)
                await connection.execute(
                    "SELECT pg_replication_slot_advance('scribe', $1)", chunk[-1]["lsn"]
                )
        producer.flush(60)
        elapsed = time.perf_counter() - started
        # Before closing: the backend that decoded is a child process that exits with it.
        cpu = cpu_snapshot().get("postgres", 0.0) - before.get("postgres", 0.0)
    finally:
        await connection.close()
    return rows / elapsed, cpu * 1e6 / rows


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--keys", type=int, default=1000)
    parser.add_argument("--peek", action="store_true", help="peek, produce, flush, advance")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="scribe-logical-") as root, broker() as servers:
        postgres = EmbeddedPostgres(Path(root) / "pg", database="bench")
        url = postgres.start()
        try:
            asyncio.run(_setup(url))
            postgres.stop()
            url = postgres.start()  # wal_level takes effect on a restart
            WATCHED["postgres"] = postgres.pid or 0
            asyncio.run(_slot(url))
            topic = f"bench-logical-{uuid.uuid4().hex[:6]}"
            ensure_topic(servers, topic, 6)
            keys = [str(uuid.uuid4()) for _ in range(args.keys)]
            envelopes = [envelope(keys[i % args.keys], i // args.keys) for i in range(args.rows)]
            raw = raw_produce_median(servers, topic, envelopes)
            asyncio.run(write(url, topic, envelopes))
            rate, pg_us = asyncio.run(drain(url, servers, args.rows, args.peek))
        finally:
            postgres.stop()
    print(f"  logical drain: {rate:,.0f} events/s, PostgreSQL {pg_us:.0f} us per event")
    print(f"  raw producer: {raw:,.0f} msg/s; ratio {rate / raw:.3f}")
    print(
        json.dumps(
            {
                "bench": "logical_probe",
                "drain_events_per_s": round(rate, 1),
                "raw_produce_per_s": round(raw, 1),
                "ratio": round(rate / raw, 3),
                "postgres_us_per_event": round(pg_us, 1),
            }
        )
    )


async def _setup(url: str) -> None:
    connection = await asyncpg.connect(asyncpg_dsn(url))
    try:
        await connection.execute("ALTER SYSTEM SET wal_level = 'logical'")
    finally:
        await connection.close()


async def _slot(url: str) -> None:
    connection = await asyncpg.connect(asyncpg_dsn(url))
    try:
        await connection.execute("CREATE PUBLICATION scribe_messages")
        await connection.execute("SELECT pg_create_logical_replication_slot('scribe', 'pgoutput')")
    finally:
        await connection.close()


if __name__ == "__main__":
    main()
