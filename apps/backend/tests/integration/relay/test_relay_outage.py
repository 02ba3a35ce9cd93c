"""A broker outage longer than the retry schedule: nothing FAILED, everything delivered in order."""

import asyncio
import contextlib
import uuid

import asyncpg
import httpx
import pytest

from infinite_scribe.embedded.kafka import EmbeddedKafka, free_port
from infinite_scribe.kafka.admin import ensure_topic
from infinite_scribe.settings.settings import Settings
from tests.support.relay import consume, envelope, first_delivery_order_ok, running_relay, wait_for

pytestmark = [pytest.mark.kafka, pytest.mark.slow]


async def _health(port: int) -> int:
    async with httpx.AsyncClient(timeout=5) as client:
        return (await client.get(f"http://127.0.0.1:{port}/health")).status_code


async def _write_forever(pool: asyncpg.Pool, topic: str, keys: list[str]) -> None:
    seq = 0
    while True:
        for key in keys:
            body = envelope(key, seq)
            await pool.execute(
                "WITH r AS (INSERT INTO event_outbox (event_id, topic, key, payload) "
                "VALUES ($1, $2, $3, $4) RETURNING 1) "
                "SELECT pg_notify('event_outbox_pending', '') FROM r",
                uuid.UUID(str(body["event_id"])),
                topic,
                key,
                body,
            )
        seq += 1
        await asyncio.sleep(0.05)


async def test_broker_outage_longer_than_retry_schedule(
    pool: asyncpg.Pool, settings: Settings
) -> None:
    broker = EmbeddedKafka(port=free_port())
    servers = broker.start()
    topic = f"outage-{uuid.uuid4().hex[:8]}"
    ensure_topic(servers, topic, 3)
    keys = [f"outage-{uuid.uuid4()}" for _ in range(10)]
    port = free_port()
    writer: asyncio.Task[None] | None = None
    try:
        async with running_relay(
            settings,
            kafka_bootstrap_servers=servers,
            relay_message_timeout_ms=3000,
            relay_metrics_port=port,
            # The shared test database may hold other tests' old PENDING rows: only the broker
            # decides health here (the age threshold has its own test).
            relay_health_max_pending_age=1e9,
        ) as relay:
            writer = asyncio.create_task(_write_forever(pool, topic, keys))
            await wait_for(
                pool,
                "SELECT count(*) > 50 FROM event_outbox WHERE topic = $1 AND status = 'SENT'",
                topic,
                within=20,
            )
            assert await _health(port) == 200
            broker.stop()
            # Down for longer than 1 + 2 + 4 s while commands keep committing.
            for _ in range(100):
                if relay.outage:
                    break
                await asyncio.sleep(0.1)
            assert relay.outage
            assert await _health(port) == 503
            await asyncio.sleep(9)
            assert relay.stats.failed == 0
            # Everything SENT by now went to the old broker (acknowledgements can land a moment
            # after the stop, so this is read at the end of the outage, not at its start).
            before = {
                r["event_id"]
                for r in await pool.fetch(
                    "SELECT event_id FROM event_outbox WHERE topic = $1 AND status = 'SENT'", topic
                )
            }
            # A restarted Tansu is empty. Production topics exist before anyone produces; here
            # the relay must not auto-create the topic while it is being created (Tansu then
            # loses messages), so claims wait on a table lock until the topic exists.
            async with pool.acquire() as connection, connection.transaction():
                await connection.execute("LOCK TABLE event_outbox IN EXCLUSIVE MODE")
                broker = EmbeddedKafka(port=broker.port)
                broker.start()
                await asyncio.to_thread(ensure_topic, servers, topic, 3)
            await asyncio.sleep(1)
            writer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await writer
            total = await pool.fetchval("SELECT count(*) FROM event_outbox WHERE topic = $1", topic)
            await wait_for(
                pool,
                "SELECT count(*) FROM event_outbox WHERE topic = $1 AND status = 'SENT'",
                topic,
                expected=total,
                within=60,
            )
            for _ in range(50):
                if await _health(port) == 200:
                    break
                await asyncio.sleep(0.2)
            assert await _health(port) == 200
        failed = await pool.fetchval(
            "SELECT count(*) FROM event_outbox WHERE topic = $1 AND status = 'FAILED'", topic
        )
        assert failed == 0
        expected = {
            r["event_id"]
            for r in await pool.fetch("SELECT event_id FROM event_outbox WHERE topic = $1", topic)
        } - before
        received = consume(servers, topic, len(expected), timeout=30)
        got = {uuid.UUID(m.headers["ce_id"].decode()) for m in received}
        assert expected <= got, f"{len(expected - got)} events missing after the outage"
        assert first_delivery_order_ok(received)
    finally:
        if writer is not None:
            writer.cancel()
        broker.stop()
