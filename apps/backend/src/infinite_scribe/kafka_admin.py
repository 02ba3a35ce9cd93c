"""Small Kafka admin helpers (librdkafka): create the events topic, check the broker answers."""

import logging
from typing import Any

from confluent_kafka import KafkaException
from confluent_kafka.admin import AdminClient, NewTopic

#: librdkafka's own log lines go through Python logging instead of straight to stderr.
KAFKA_LOGGER = logging.getLogger("librdkafka")


def admin_client(bootstrap_servers: str) -> AdminClient:
    config: dict[str, Any] = {
        "bootstrap.servers": bootstrap_servers,
        "socket.timeout.ms": 2000,
        "logger": KAFKA_LOGGER,
    }
    return AdminClient(config)


def ensure_topic(
    bootstrap_servers: str, topic: str, partitions: int, timeout: float = 10.0
) -> None:
    """Create `topic` unless it exists (in production topics are usually provisioned ahead)."""
    admin = admin_client(bootstrap_servers)
    metadata = admin.list_topics(timeout=timeout)
    if topic in metadata.topics and metadata.topics[topic].error is None:
        return
    futures = admin.create_topics(
        [NewTopic(topic, num_partitions=partitions, replication_factor=1)],
        operation_timeout=timeout,
    )
    for future in futures.values():
        try:
            future.result(timeout)
        except KafkaException as error:
            if "TOPIC_ALREADY_EXISTS" not in str(error) and "already exists" not in str(error):
                raise


def broker_reachable(admin: AdminClient, timeout: float = 1.0) -> bool:
    """True when the cluster answers a metadata request within `timeout` seconds."""
    try:
        metadata = admin.list_topics(timeout=timeout)
    except KafkaException:
        return False
    return bool(metadata.brokers)
