"""Issue 21, item 10: the relay refuses a broker of another cluster. Its broker dies and another
instance's broker takes the address (what a second `scribe up` on 127.0.0.1:9092 did): nothing
is marked SENT while that broker answers, health says why, and once a broker of the expected
cluster is back every row written meanwhile reaches it."""

import asyncio
import uuid

import asyncpg
import httpx
import pytest

from infinite_scribe.embedded.kafka import EmbeddedKafka, free_port
from infinite_scribe.kafka.admin import ensure_topic
from infinite_scribe.settings.settings import Settings
from tests.support.relay import consume, insert_rows, running_relay, wait_for

pytestmark = [pytest.mark.kafka, pytest.mark.slow]

SENT = "SELECT count(*) FROM event_outbox WHERE topic = $1 AND status = 'SENT'"


async def _health(port: int) -> tuple[int, dict[str, object]]:
    async with httpx.AsyncClient(timeout=5) as client:
        try:
            response = await client.get(f"http://127.0.0.1:{port}/health")
        except httpx.ConnectError:
            return 0, {}
        return response.status_code, response.json()


async def _until_refused(port: int, theirs: str, within: float = 20) -> dict[str, object]:
    deadline = asyncio.get_running_loop().time() + within
    while asyncio.get_running_loop().time() < deadline:
        status, body = await _health(port)
        if status == 503 and theirs in str(body.get("details", body)):
            return body
        await asyncio.sleep(0.1)
    raise AssertionError(f"relay health never named the foreign cluster: {status} {body}")


def _broker(port: int, cluster_id: str, topic: str) -> EmbeddedKafka:
    broker = EmbeddedKafka(port=port, cluster_id=cluster_id)
    broker.start()
    ensure_topic(broker.bootstrap_servers, topic, 3)
    return broker


async def test_the_relay_publishes_nothing_to_a_broker_of_another_cluster(
    pool: asyncpg.Pool, settings: Settings
) -> None:
    port, metrics = free_port(), free_port()
    topic = f"cluster-{uuid.uuid4().hex[:8]}"
    ours, theirs = f"ours-{uuid.uuid4().hex[:6]}", f"theirs-{uuid.uuid4().hex[:6]}"
    broker = _broker(port, ours, topic)
    try:
        async with running_relay(
            settings,
            kafka_bootstrap_servers=broker.bootstrap_servers,
            kafka_cluster_id=ours,
            relay_metrics_port=metrics,
            relay_message_timeout_ms=2000,
            relay_broker_probe_interval_seconds=0.3,
            relay_health_max_pending_age=1e9,
        ):
            first = await insert_rows(pool, topic, ["a", "b"], 5)
            await wait_for(pool, SENT, topic, expected=first, within=30)

            broker.stop()
            broker = _broker(port, theirs, topic)  # another instance's broker, same address
            later = await insert_rows(pool, topic, ["c", "d"], 5)
            body = await _until_refused(metrics, theirs)
            assert ours in str(body)
            # Probes and claims have had their turns: still nothing marked SENT.
            await asyncio.sleep(2)
            assert await pool.fetchval(SENT, topic) == first
            foreign = await asyncio.to_thread(consume, broker.bootstrap_servers, topic, 1, 3)
            assert foreign == []

            broker.stop()
            broker = _broker(port, ours, topic)  # ours again (empty: in-memory)
            await wait_for(pool, SENT, topic, expected=first + later, within=60)
            received = await asyncio.to_thread(consume, broker.bootstrap_servers, topic, later)
            assert {r.key for r in received} == {"c", "d"} and len(received) >= later
    finally:
        broker.stop()
