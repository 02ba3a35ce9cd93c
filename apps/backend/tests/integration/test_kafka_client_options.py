"""KAFKA_* client options reach every Kafka client of the project, against the real broker:
a wrong security.protocol (SSL against the plaintext broker) makes each one fail to talk, the
right one (PLAINTEXT) works; client.id shows up in the producer's own statistics; topics the
project creates get KAFKA_TOPIC_REPLICATION_FACTOR."""

import asyncio
import json
import threading
import uuid
from typing import Any

import httpx
import pytest
from confluent_kafka import KafkaException
from typer.testing import CliRunner

from infinite_scribe.cli import app
from infinite_scribe.cli.up import embedded_services
from infinite_scribe.composition.agents import build_agent_worker, consumer_config, worker_options
from infinite_scribe.kafka.admin import admin_client, ensure_topic
from infinite_scribe.kafka.cluster import broker_problem
from infinite_scribe.kafka.dead_letters import dead_letter_topic, read_dead_letters
from infinite_scribe.kafka.producer import Publisher
from infinite_scribe.settings.settings import Settings
from tests.conftest import LiveServer

pytestmark = pytest.mark.kafka


def _with_options(settings: Settings, **options: str) -> Settings:
    return settings.model_copy(update={"kafka_client_options": options})


@pytest.fixture(params=["PLAINTEXT", "SSL"])
def protocol(request: pytest.FixtureRequest) -> str:
    return str(request.param)


async def test_admin_and_relay_producer_use_the_security_protocol(
    settings: Settings, protocol: str
) -> None:
    connection = _with_options(settings, **{"security.protocol": protocol}).kafka_connection()
    assert connection is not None
    reachable = protocol == "PLAINTEXT"
    assert (broker_problem(admin_client(connection), None, 2) is None) is reachable
    publisher = Publisher(connection)
    assert publisher.config["security.protocol"] == protocol
    publisher.start()
    try:
        assert await publisher.probe(2) is reachable
    finally:
        publisher.close(0)


def test_dead_letter_reader_uses_the_security_protocol(settings: Settings, protocol: str) -> None:
    connection = _with_options(settings, **{"security.protocol": protocol}).kafka_connection()
    assert connection is not None
    if protocol == "PLAINTEXT":
        assert list(read_dead_letters(connection, f"absent-{uuid.uuid4().hex}", 0.2)) == []
    else:
        with pytest.raises(KafkaException):
            list(read_dead_letters(connection, f"absent-{uuid.uuid4().hex}", 0.2))


def test_api_health_probe_uses_the_security_protocol(settings: Settings, protocol: str) -> None:
    configured = _with_options(settings, **{"security.protocol": protocol})
    with LiveServer(configured) as server:
        body = httpx.get(f"{server.url}/api/v1/health", timeout=10).json()
    assert body["database"] == "ok"
    assert (body["kafka"] == "ok") is (protocol == "PLAINTEXT")


async def test_client_id_reaches_the_relay_producer(settings: Settings) -> None:
    connection = _with_options(
        settings, **{"client.id": "scribe-relay-test", "statistics.interval.ms": "100"}
    ).kafka_connection()
    assert connection is not None
    publisher = Publisher(connection)
    seen: list[dict[str, Any]] = []
    received = threading.Event()

    def statistics(report: str) -> None:
        seen.append(json.loads(report))
        received.set()

    publisher.config["stats_cb"] = statistics  # the test's window into librdkafka
    publisher.start()
    try:
        assert await asyncio.to_thread(received.wait, 10)
    finally:
        publisher.close(0)
    assert seen[0]["client_id"] == "scribe-relay-test"
    assert seen[0]["type"] == "producer"


def test_worker_consumer_config_has_options_and_keeps_its_own(settings: Settings) -> None:
    configured = _with_options(settings, **{"client.id": "w1", "fetch.wait.max.ms": "50"})
    config = consumer_config(worker_options(configured))
    assert config["client.id"] == "w1" and config["fetch.wait.max.ms"] == "50"
    assert config["group.id"] == settings.worker_consumer_group
    assert config["bootstrap.servers"] == settings.resolved_kafka_servers()


def _replicas(servers: str, topic: str) -> set[int]:
    metadata = admin_client(servers).list_topics(timeout=5)
    return {len(p.replicas) for p in metadata.topics[topic].partitions.values()}


def _partitions(servers: str, topic: str) -> int:
    return len(admin_client(servers).list_topics(timeout=5).topics[topic].partitions)


def _services_of_up(settings: Settings) -> None:
    with embedded_services(settings):  # what `scribe up` runs: migrations, the main topic
        pass


async def test_created_topics_get_partitions_and_replication_factor(settings: Settings) -> None:
    topic = f"rf-{uuid.uuid4().hex[:8]}"
    configured = settings.model_copy(
        update={
            "kafka_topic": topic,
            "kafka_topic_partitions": 4,
            "kafka_topic_replication_factor": 2,
        }
    )
    servers = configured.resolved_kafka_servers()
    assert servers is not None
    await asyncio.to_thread(_services_of_up, configured)
    worker = build_agent_worker(configured)
    await worker.startup()  # the dead-letter topic
    worker.running.consumer.consumer.close()  # built by startup, closed by work() never run
    await worker.shutdown()
    for name in (topic, dead_letter_topic(topic)):
        assert _partitions(servers, name) == 4
        assert _replicas(servers, name) == {2}
    ensure_topic(servers, f"{topic}-one", 1)
    assert _replicas(servers, f"{topic}-one") == {1}


def test_kafka_check_and_create_topics_commands(
    kafka_bootstrap: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    topic = f"cli-{uuid.uuid4().hex[:8]}"
    for name, value in {
        "KAFKA_BOOTSTRAP_SERVERS": kafka_bootstrap,
        "KAFKA_TOPIC": topic,
        "KAFKA_TOPIC_PARTITIONS": "3",
        "KAFKA_TOPIC_REPLICATION_FACTOR": "2",
        "KAFKA_CLIENT_ID": "scribe-cli-test",
        "SCRIBE_ENV_FILE": "",
    }.items():
        monkeypatch.setenv(name, value)
    runner = CliRunner()
    result = runner.invoke(app, ["kafka", "check"])
    assert result.exit_code == 0, result.output
    assert "client options: client.id" in result.output
    assert f"topic {topic}: missing" in result.output
    result = runner.invoke(app, ["kafka", "create-topics"])
    assert result.exit_code == 0, result.output
    result = runner.invoke(app, ["kafka", "check"])
    assert f"topic {topic}: 3 partitions, 2 replicas" in result.output
    assert f"topic {topic}.dlq: 3 partitions, 2 replicas" in result.output
    monkeypatch.setenv("KAFKA_SECURITY_PROTOCOL", "SSL")
    result = runner.invoke(app, ["kafka", "check", "--timeout", "1"])
    assert result.exit_code == 1 and "did not answer" in result.output
    monkeypatch.setenv("KAFKA_SECURITY_PROTOCOL", "carrier-pigeon")
    result = runner.invoke(app, ["kafka", "check"])
    assert result.exit_code == 2
    assert 'Invalid value "carrier-pigeon" for configuration property "security.protocol"' in (
        result.output
    )
