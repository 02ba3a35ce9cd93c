"""Relays share the key space (issue 26): the live ones split the key buckets, a silent one is
forgotten after the member TTL, and keys whose owner is dead are still served at once."""

import asyncio
import time
import uuid

import asyncpg
import pytest

from infinite_scribe.persistence.relay.members import BUCKETS, RelayMembers, Share
from infinite_scribe.settings.settings import Settings
from tests.support.relay import (
    consume,
    first_delivery_order_ok,
    insert_rows,
    new_topic,
    running_relay,
    wait_for,
)

pytestmark = [pytest.mark.kafka, pytest.mark.slow]


async def test_live_relays_split_the_buckets_and_the_departed_are_forgotten(
    clean_db: asyncpg.Pool,
) -> None:
    a, b, c = (RelayMembers(clean_db, name, ttl_seconds=5) for name in ("a", "b", "c"))
    assert await a.heartbeat() == Share(0, BUCKETS, 1)
    await b.heartbeat()
    await c.heartbeat()
    shares = [await member.heartbeat() for member in (a, b, c)]
    assert [(s.low, s.high, s.members) for s in shares] == [
        (0, 341, 3),
        (341, 682, 3),
        (682, BUCKETS, 3),
    ]
    await b.leave()  # a clean stop
    # c stays silent past the TTL (its last heartbeat set back in time).
    await clean_db.execute(
        "UPDATE relay_members SET seen_at = now() - interval '6 seconds' WHERE relay_id = 'c'"
    )
    assert await a.heartbeat() == Share(0, BUCKETS, 1)


async def test_keys_of_a_dead_relays_share_are_served_at_once(
    clean_db: asyncpg.Pool, settings: Settings, kafka_bootstrap: str
) -> None:
    # A member that looks alive but never claims (a relay hung or killed within its TTL).
    await clean_db.execute(
        "INSERT INTO relay_members (relay_id, seen_at) VALUES ('~silent', now() + interval '1 h')"
    )
    topic = new_topic(kafka_bootstrap, 6)
    keys = [f"share-{uuid.uuid4()}" for _ in range(40)]
    async with running_relay(settings) as relay:
        deadline = time.monotonic() + 5  # until its first heartbeat
        while relay.share.members < 2 and time.monotonic() < deadline:  # noqa: ASYNC110
            await asyncio.sleep(0.05)
        assert relay.share.members == 2 and relay.share.high - relay.share.low == BUCKETS // 2
        total = await insert_rows(clean_db, topic, keys, 5)
        await wait_for(
            clean_db,
            "SELECT count(*) FROM event_outbox WHERE topic = $1 AND status = 'SENT'",
            topic,
            expected=total,
            within=10,
        )
        outside = await clean_db.fetchval(
            "SELECT count(DISTINCT key) FROM event_outbox WHERE topic = $1 "
            "AND NOT (hashtext(key) & 1023 >= $2 AND hashtext(key) & 1023 < $3)",
            topic,
            relay.share.low,
            relay.share.high,
        )
    assert outside > 0  # some keys were the silent member's, and were published anyway
    received = consume(kafka_bootstrap, topic, total, timeout=20)
    assert len({m.headers["ce_id"] for m in received}) == total
    assert first_delivery_order_ok(received)
