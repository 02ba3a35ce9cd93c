"""Small Kafka admin helpers (librdkafka): create the events topic, check the broker answers."""

import asyncio
from typing import Any

from confluent_kafka import KafkaException
from confluent_kafka.admin import AdminClient, NewTopic

from infinite_scribe.kafka.cluster import broker_problem
from infinite_scribe.kafka.release import SharedAdmin
from infinite_scribe.settings.kafka import KafkaConnection, client_config


def admin_client(cluster: str | KafkaConnection) -> AdminClient:
    """An admin client; its owner releases it (`with`, or `release_admin`)."""
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
    with admin_client(cluster) as admin:
        metadata = admin.list_topics(timeout=timeout)
        if topic in metadata.topics and metadata.topics[topic].error is None:
            return
        futures = admin.create_topics(
            [NewTopic(topic, num_partitions=partitions, replication_factor=replication_factor)],
            operation_timeout=timeout,
        )
        _created(futures, timeout)


def _created(futures: dict[str, Any], timeout: float) -> None:
    """Wait for each topic's creation; one that exists already is as good."""
    for future in futures.values():
        try:
            future.result(timeout)
        except KafkaException as error:
            if "TOPIC_ALREADY_EXISTS" not in str(error) and "already exists" not in str(error):
                raise


class BrokerUnreachable(ConnectionError):
    """The cluster did not answer a metadata request in time."""


class BrokerProbe:
    """The `HealthProbe` of a Kafka cluster: one metadata request with a short timeout, in a
    thread (librdkafka blocks). With an expected cluster id, a broker of another cluster
    (another `scribe up`'s on a reused port) is as good as none."""

    def __init__(
        self,
        cluster: str | KafkaConnection,
        expected_cluster_id: str | None = None,
        timeout: float = 1.5,
    ) -> None:
        self._admin = SharedAdmin(admin_client(cluster))
        self._expected = expected_cluster_id
        self._timeout = timeout

    def close(self) -> None:
        """Release the client (blocks while a ping runs: call it off the loop)."""
        self._admin.release()

    async def ping(self) -> None:
        args = (self._admin, self._expected, self._timeout)
        problem = await asyncio.to_thread(broker_problem, *args)
        if problem is not None:
            raise BrokerUnreachable(problem)
