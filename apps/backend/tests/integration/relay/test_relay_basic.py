"""The relay publishes committed events with the right key, headers and value."""

import asyncio
import uuid
from dataclasses import replace

import asyncpg
import httpx
import pytest

from infinite_scribe.embedded.kafka import free_port
from infinite_scribe.settings.settings import Settings
from shared_types import EventEnvelope, EventMetadata
from tests.support.events import append_events
from tests.support.relay import consume, insert_rows, new_topic, running_relay, wait_for

pytestmark = pytest.mark.kafka


async def test_committed_events_arrive_with_key_headers_value(
    pool: asyncpg.Pool, settings: Settings, kafka_bootstrap: str
) -> None:
    topic = new_topic(kafka_bootstrap)
    session = str(uuid.uuid4())
    correlation = uuid.uuid4()
    traceparent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
    first = EventEnvelope(
        event_type="Genesis.Session.ConceptGenerationRequested",
        aggregate_type="GENESIS_SESSION",
        aggregate_id=session,
        aggregate_version=1,
        correlation_id=correlation,
        causation_id=correlation,
        payload={"n": 1},
        metadata=EventMetadata(user_id="u1", source_service="api", traceparent=traceparent),
    )
    second = first.caused("Genesis.Session.FeedbackSubmitted", payload={"n": 2})
    second = second.model_copy(update={"aggregate_version": 2})
    async with running_relay(settings):
        await append_events(pool, [first, second], topic)
        await wait_for(
            pool,
            "SELECT count(*) FROM event_outbox WHERE key = $1 AND status = 'SENT' "
            "AND sent_at IS NOT NULL AND claimed_by IS NULL",
            session,
            expected=2,
            within=20,
        )
    received = consume(kafka_bootstrap, topic, 2, timeout=20)
    assert [m.value["payload"]["n"] for m in received] == [1, 2]
    message = received[0]
    assert message.key == session
    assert message.value == first.model_dump(mode="json")
    headers = message.headers
    assert headers["ce_specversion"] == b"1.0"
    assert headers["ce_id"] == str(first.event_id).encode()
    assert headers["ce_type"] == b"Genesis.Session.ConceptGenerationRequested"
    assert headers["ce_source"] == b"/infinite-scribe/api"
    assert headers["ce_subject"] == session.encode()
    assert headers["content-type"] == b"application/json"
    assert headers["ce_time"].startswith(first.occurred_at.strftime("%Y-%m-%dT%H:%M").encode())
    assert headers["ce_correlationid"] == str(correlation).encode()
    assert headers["ce_causationid"] == str(correlation).encode()
    assert headers["traceparent"] == traceparent.encode()
    assert received[1].headers["ce_causationid"] == str(first.event_id).encode()


async def test_metrics_and_health_endpoints(
    pool: asyncpg.Pool, settings: Settings, kafka_bootstrap: str
) -> None:
    topic = new_topic(kafka_bootstrap)
    key = f"metrics-{uuid.uuid4()}"
    port = free_port()
    await insert_rows(pool, topic, [key], 3)
    # A PENDING row held behind a FAILED head of its key: it will only get older.
    held_key = f"held-{uuid.uuid4()}"
    await insert_rows(pool, topic, [held_key], 2)
    await pool.execute(
        "UPDATE event_outbox SET status = 'FAILED' WHERE key = $1 AND position = "
        "(SELECT min(position) FROM event_outbox WHERE key = $1)",
        held_key,
    )
    async with (
        running_relay(settings, relay_metrics_port=port, relay_health_max_pending_age=0.5) as relay,
        httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=5) as client,
    ):
        await wait_for(
            pool,
            "SELECT count(*) FROM event_outbox WHERE key = $1 AND status = 'SENT'",
            key,
            expected=3,
            within=20,
        )
        await asyncio.sleep(0.6)
        health = await client.get("/health")
        assert health.status_code == 503  # the held row is older than the threshold
        body = health.json()
        assert body["status"] == "unhealthy" and body["broker_reachable"] is True
        assert body["oldest_pending_age_seconds"] > 0.5
        relay.options = replace(relay.options, health_max_pending_age=1e9)
        assert (await client.get("/health")).status_code == 200
        text = (await client.get("/metrics")).text
        assert "relay_published_total" in text
        assert "relay_publish_latency_seconds_bucket" in text
        assert 'relay_outbox_rows{status="PENDING"}' in text
        assert "relay_oldest_pending_age_seconds" in text
        assert "relay_broker_up 1.0" in text
        assert "event_loop_lag_seconds_bucket" in text  # the worker runtime's (issue 49)
        assert (await client.get("/nope")).status_code == 404
        published = [line for line in text.splitlines() if line.startswith("relay_published_total")]
        assert float(published[0].split()[-1]) >= 3


async def test_one_busy_key_flows_without_waiting_for_the_poll(
    pool: asyncpg.Pool, settings: Settings, kafka_bootstrap: str
) -> None:
    """Each row of a key waits for the previous one's SENT; that must not cost a poll interval."""
    topic = new_topic(kafka_bootstrap)
    key = f"busy-{uuid.uuid4()}"
    await insert_rows(pool, topic, [key], 60)
    async with running_relay(settings, relay_poll_interval=30.0):
        await wait_for(
            pool,
            "SELECT count(*) FROM event_outbox WHERE key = $1 AND status = 'SENT'",
            key,
            expected=60,
            within=10,
        )
    received = consume(kafka_bootstrap, topic, 60, timeout=10)
    assert [m.value["payload"]["seq"] for m in received] == list(range(60))
