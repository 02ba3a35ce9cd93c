"""A message too large to publish that reaches the relay anyway (limits changed, a row written
another way) ends FAILED with an error that names the sizes and settings (after the usual
retries: a relay restarted with a larger RELAY_MAX_MESSAGE_BYTES may still publish it)."""

import asyncpg
import pytest

from infinite_scribe.settings.settings import Settings
from tests.support.relay import envelope, new_topic, running_relay, wait_for

pytestmark = pytest.mark.kafka


async def test_a_too_large_message_fails_with_a_clear_error(
    pool: asyncpg.Pool, settings: Settings
) -> None:
    servers = str(settings.kafka_bootstrap_servers)
    topic = new_topic(servers)
    big = envelope("too-large-key", 0, text="x" * 5000)
    await pool.execute(
        "INSERT INTO event_outbox (event_id, topic, key, payload) VALUES ($1::uuid, $2, $3, $4)",
        big["event_id"],
        topic,
        "too-large-key",
        big,
    )
    async with running_relay(
        settings,
        event_max_bytes=1024,
        relay_max_message_bytes=2000,
        relay_retry_backoff="0.1",
    ):
        await wait_for(
            pool,
            "SELECT status FROM event_outbox WHERE event_id = $1::uuid",
            big["event_id"],
            expected="FAILED",
            within=20,
        )
    row = await pool.fetchrow(
        "SELECT attempts, last_error FROM event_outbox WHERE event_id = $1::uuid", big["event_id"]
    )
    assert row["attempts"] == 2
    assert "message too large to publish" in row["last_error"]
    assert "RELAY_MAX_MESSAGE_BYTES=2000" in row["last_error"]
