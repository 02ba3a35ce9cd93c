"""`scribe kafka check|create-topics`: try the cluster settings (KAFKA_*, KAFKA_CONFIG_FILE)
before deploying, and create the topics the project uses with the configured partitions and
replication factor."""

from typing import TYPE_CHECKING, Annotated

import typer

from infinite_scribe.cli.app import fail, kafka_connection, settings

if TYPE_CHECKING:
    from infinite_scribe.settings.settings import Settings

kafka_app = typer.Typer(help="The Kafka cluster: check the settings, create topics")


def _topics(current: "Settings") -> list[str]:
    from infinite_scribe.kafka.dead_letters import dead_letter_topic

    return [current.kafka_topic, dead_letter_topic(current.kafka_topic)]


@kafka_app.command("check")
def check(
    timeout: Annotated[float, typer.Option(min=0.1, help="seconds to wait for an answer")] = 10,
) -> None:
    """Connect with the configured options; print the brokers and the project's topics."""
    from confluent_kafka import KafkaException

    from infinite_scribe.kafka.admin import admin_client

    current = settings()
    connection = kafka_connection(current)
    options = ", ".join(sorted(connection.options)) or "none"
    typer.echo(f"bootstrap {connection.servers}; client options: {options}")
    try:
        admin = admin_client(connection)
    except KafkaException as error:  # librdkafka checks the values here
        fail(f"invalid Kafka client option: {error.args[0].str()}")
    try:
        metadata = admin.list_topics(timeout=timeout)
    except KafkaException as error:
        fail(f"the cluster did not answer: {error}", code=1)
    typer.echo(f"brokers: {len(metadata.brokers)}")
    for name in _topics(current):
        topic = metadata.topics.get(name)
        if topic is None or topic.error is not None:
            typer.echo(f"topic {name}: missing (scribe kafka create-topics)")
            continue
        replicas = min((len(p.replicas) for p in topic.partitions.values()), default=0)
        typer.echo(f"topic {name}: {len(topic.partitions)} partitions, {replicas} replicas")


@kafka_app.command("create-topics")
def create_topics() -> None:
    """Create KAFKA_TOPIC and its dead-letter topic (KAFKA_TOPIC_PARTITIONS,
    KAFKA_TOPIC_REPLICATION_FACTOR) unless they exist."""
    from confluent_kafka import KafkaException

    from infinite_scribe.kafka.admin import ensure_topic

    current = settings()
    connection = kafka_connection(current)
    for name in _topics(current):
        try:
            ensure_topic(
                connection,
                name,
                current.kafka_topic_partitions,
                current.kafka_topic_replication_factor,
            )
        except KafkaException as error:
            fail(f"cannot create {name}: {error}", code=1)
        typer.echo(f"topic {name}: present")
