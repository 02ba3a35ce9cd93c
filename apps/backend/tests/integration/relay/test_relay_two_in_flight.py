"""The slot's two batches in flight (issue 72, decision 7202): batch N+1 is produced while N
waits for its reports; a refusal of one key's message mid-stream leaves every key in order,
nothing lost, and nothing of the refused key acknowledged past its refused message.

The embedded broker (Tansu) enforces no topic's `max.message.bytes`, so the refusal is the
producer's (RELAY_MAX_MESSAGE_BYTES): reported in the batch's reports like a broker's, while the
next batch, holding the key's later messages, is already produced."""

import asyncio
import time
import uuid

import asyncpg
import pytest

from infinite_scribe.settings.settings import Settings
from tests.support.relay import (
    Received,
    consume,
    envelope,
    first_delivery_order_ok,
    new_topic,
    running_relay,
)

pytestmark = [pytest.mark.kafka, pytest.mark.slow]

#: The relay's limit on a message in this test: the poisoned message is twice as large.
_LIMIT = 20_000


async def _emit_each(pool: asyncpg.Pool, topic: str, bodies: list[dict[str, object]]) -> None:
    """One commit per message, as a stream of small writers: the reader's batches stay small."""
    async with pool.acquire() as connection:
        for body in bodies:
            await connection.execute(
                "SELECT pg_logical_emit_message(true, 'infinite-scribe.outbox', "
                "outbox_message($1, $2))",
                topic,
                body,
            )


def _read_back(
    servers: str, topic: str, wanted: set[tuple[str, int]], least: int
) -> list[Received]:
    """The topic read from its start until it holds every (key, seq) `wanted` (or 30 s): each
    read waits for one more event than the last one held."""
    deadline = time.monotonic() + 30
    while True:
        left = max(deadline - time.monotonic(), 1.0)
        received = consume(servers, topic, least, timeout=left)
        delivered = {(m.key, m.value["payload"]["seq"]) for m in received}
        if wanted <= delivered or time.monotonic() > deadline:
            return received
        least = len(delivered) + 1


async def test_a_refusal_mid_stream_with_two_batches_in_flight_keeps_every_key_in_order(
    logical_pool: asyncpg.Pool, settings: Settings, kafka_bootstrap: str, logical_url: str
) -> None:
    topic = new_topic(kafka_bootstrap)
    keys = [f"k{n}-{uuid.uuid4().hex[:6]}" for n in range(12)]
    poisoned = keys[0]
    bodies = []
    for seq in range(30):
        for key in keys:
            blob = "x" * 2 * _LIMIT if key == poisoned and seq == 10 else ""
            bodies.append(envelope(key, seq, blob=blob))
    await _emit_each(logical_pool, topic, bodies)
    healthy = len(keys[1:]) * 30 + 10  # the poisoned key's first ten, and every other key's
    async with running_relay(
        settings,
        database_url=logical_url,
        relay_batch_size=4,
        relay_retry_backoff="0.5",
        event_max_bytes=_LIMIT // 2,
        relay_max_message_bytes=_LIMIT,
    ) as relay:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            failed = await logical_pool.fetchval(
                "SELECT count(*) FROM event_outbox WHERE status = 'FAILED'"
            )
            if failed and relay.stats.published >= healthy:
                break
            await asyncio.sleep(0.1)
        assert relay.slot_source is not None and relay.slot_source.overlapped > 0
        # The refused key's copies on the wire past its refusal are counted published too: the
        # relay runs until every healthy message is read back, not only until a count of them.
        wanted = {(k, s) for k in keys[1:] for s in range(30)}
        received = await asyncio.to_thread(_read_back, kafka_bootstrap, topic, wanted, healthy)
    assert first_delivery_order_ok(received)
    delivered = {(m.key, m.value["payload"]["seq"]) for m in received}
    assert wanted <= delivered  # nothing lost
    # The refused key: its first ten, then its refused message FAILED and the rest held behind.
    early = sorted(s for k, s in delivered if k == poisoned)
    print("poisoned key delivered:", early)
    assert early[:10] == list(range(10)) and 10 not in early
    rows = await logical_pool.fetch(
        "SELECT payload->'payload'->>'seq' AS seq, status::text AS status FROM event_outbox "
        "WHERE key = $1 ORDER BY position",
        poisoned,
    )
    assert [(int(r["seq"]), r["status"]) for r in rows] == [(10, "FAILED")] + [
        (seq, "PENDING") for seq in range(11, 30)
    ]
    print(
        f"\noverlapped batches: {relay.slot_source.overlapped}; poisoned key's copies on the "
        f"wire past its refusal: {[s for s in early if s > 10]}"
    )
