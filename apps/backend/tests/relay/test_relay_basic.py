"""The relay publishes committed events with the right key, headers and value."""

import uuid

import asyncpg
import pytest

from infinite_scribe.config import Settings
from infinite_scribe.persistence.event_store import EventStore
from shared_types import EventEnvelope, EventMetadata

from .helpers import consume, new_topic, running_relay, wait_for

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
        async with pool.acquire() as connection, connection.transaction():
            await EventStore(topic).append(connection, [first, second])
        await wait_for(
            pool,
            "SELECT count(*) FROM event_outbox WHERE key = $1 AND status = 'SENT' "
            "AND sent_at IS NOT NULL AND claimed_by IS NULL",
            session,
            expected=2,
            timeout=20,
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
