"""Small Kafka admin helpers (librdkafka): create the events topic, check the broker answers."""

import asyncio
from typing import Any

from confluent_kafka import KafkaException
from confluent_kafka.admin import AdminClient, NewTopic

from infinite_scribe.settings.kafka import KafkaConnection, client_config


def admin_client(cluster: str | KafkaConnection) -> AdminClient:
    config: dict[str, Any] = client_config(cluster, defaults={"socket.timeout.ms": 2000})
    return AdminClient(config)


def ensure_topic(
    cluster: str | KafkaConnection,
    topic: str,
    partitions: int,
    replication_factor: int = 1,
    timeout: float = 10.0,
) -> None:
    """Create `topic` unless it exists (in production topics are usually provisioned ahead);
    a replication factor of -1 leaves it to the broker's default.replication.factor."""
    admin = admin_client(cluster)
    metadata = admin.list_topics(timeout=timeout)
    if topic in metadata.topics and metadata.topics[topic].error is None:
        return
    futures = admin.create_topics(
        [NewTopic(topic, num_partitions=partitions, replication_factor=replication_factor)],
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


class BrokerUnreachable(ConnectionError):
    """The cluster did not answer a metadata request in time."""


class BrokerProbe:
    """The `HealthProbe` of a Kafka cluster: one metadata request with a short timeout, in a
    thread (librdkafka blocks)."""

    def __init__(self, cluster: str | KafkaConnection, timeout: float = 1.5) -> None:
        self._admin = admin_client(cluster)
        self._timeout = timeout

    async def ping(self) -> None:
        if not await asyncio.to_thread(broker_reachable, self._admin, self._timeout):
            raise BrokerUnreachable("broker did not answer")
