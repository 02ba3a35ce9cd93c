"""Every librdkafka client the service makes is released when its owner stops: a client only
dropped is not always destroyed (its threads, sockets and wakeup pipes stayed), and a test worker
held 169 of them and 1,000 descriptors by the end of a run (issue 75's house; the CI hang)."""

import asyncio

import pytest

from infinite_scribe.api.app import create_app
from infinite_scribe.kafka.admin import ensure_topic
from infinite_scribe.kafka.drafts import DraftPublisher
from infinite_scribe.settings.kafka import KafkaConnection
from infinite_scribe.settings.settings import Settings
from tests.support.relay import kafka_clients_alive, new_topic, running_relay

pytestmark = pytest.mark.kafka


async def _settled(before: int) -> int:
    """The live client count once a destroyed client's threads have ended (they end at once
    when released; 2 s of grace keeps a slow machine from failing the test)."""
    for _ in range(20):
        if kafka_clients_alive() <= before:
            break
        await asyncio.sleep(0.1)
    return kafka_clients_alive()


async def test_a_stopped_relay_leaves_no_client_behind(
    settings: Settings, kafka_bootstrap: str
) -> None:
    new_topic(kafka_bootstrap)
    before = kafka_clients_alive()
    async with running_relay(settings, relay_broker_probe_interval=0.1) as relay:
        for _ in range(50):
            if relay.broker_probe is not None and relay.broker_probe.checked_at is not None:
                break
            await asyncio.sleep(0.1)
        assert kafka_clients_alive() > before  # the producer and the probe's admin client
    assert await _settled(before) == before


async def test_ensuring_a_topic_leaves_no_client_behind(kafka_bootstrap: str) -> None:
    new_topic(kafka_bootstrap)
    before = kafka_clients_alive()
    for partitions in (1, 2):
        ensure_topic(kafka_bootstrap, new_topic(kafka_bootstrap, partitions), partitions)
    assert await _settled(before) == before


async def test_a_closed_draft_publisher_leaves_no_client_behind(kafka_bootstrap: str) -> None:
    before = kafka_clients_alive()
    publisher = DraftPublisher(KafkaConnection(servers=kafka_bootstrap), new_topic(kafka_bootstrap))
    publisher.publish("s", "t", 1, {"text": "x"})
    publisher.close()
    del publisher
    assert await _settled(before) == before


async def test_a_closed_api_container_leaves_no_client_behind(
    settings: Settings, kafka_bootstrap: str
) -> None:
    """The API's broker probe and the console's pipeline probe, both used, then released."""
    before = kafka_clients_alive()
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        services = app.state.services
        assert services.kafka is not None
        await services.kafka.ping()
        probe = services.console.probe
        assert probe is not None
        await probe.workers()
        assert kafka_clients_alive() > before
    assert await _settled(before) == before
