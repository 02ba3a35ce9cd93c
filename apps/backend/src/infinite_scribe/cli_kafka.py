"""`scribe kafka check|create-topics`: try the cluster settings (KAFKA_*, KAFKA_CONFIG_FILE)
before deploying, and create the topics the project uses with the configured partitions and
replication factor."""

from typing import Annotated

import typer
from confluent_kafka import KafkaException

from infinite_scribe.kafka.admin import admin_client, ensure_topic
from infinite_scribe.kafka.dead_letters import dead_letter_topic
from infinite_scribe.settings.kafka import KafkaConnection
from infinite_scribe.settings.services_file import with_running_services
from infinite_scribe.settings.settings import ConfigurationError, Settings, load_settings

kafka_app = typer.Typer(help="The Kafka cluster: check the settings, create topics")


def _cluster() -> tuple[Settings, KafkaConnection]:
    try:
        current = with_running_services(load_settings())
    except ConfigurationError as error:
        typer.echo(str(error), err=True)
        raise typer.Exit(2) from error
    connection = current.kafka_connection()
    if connection is None:
        typer.echo(
            "KAFKA_BOOTSTRAP_SERVERS is not set (nor KAFKA_HOST, KAFKA_CONFIG_FILE)", err=True
        )
        raise typer.Exit(2)
    return current, connection


def _topics(current: Settings) -> list[str]:
    return [current.kafka_topic, dead_letter_topic(current.kafka_topic)]


@kafka_app.command("check")
def check(
    timeout: Annotated[float, typer.Option(min=0.1, help="seconds to wait for an answer")] = 10,
) -> None:
    """Connect with the configured options; print the brokers and the project's topics."""
    current, connection = _cluster()
    options = ", ".join(sorted(connection.options)) or "none"
    typer.echo(f"bootstrap {connection.servers}; client options: {options}")
    try:
        admin = admin_client(connection)
    except KafkaException as error:  # librdkafka checks the values here
        typer.echo(f"invalid Kafka client option: {error.args[0].str()}", err=True)
        raise typer.Exit(2) from error
    try:
        metadata = admin.list_topics(timeout=timeout)
    except KafkaException as error:
        typer.echo(f"the cluster did not answer: {error}", err=True)
        raise typer.Exit(1) from error
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
    current, connection = _cluster()
    for name in _topics(current):
        try:
            ensure_topic(
                connection,
                name,
                current.kafka_topic_partitions,
                current.kafka_topic_replication_factor,
            )
        except KafkaException as error:
            typer.echo(f"cannot create {name}: {error}", err=True)
            raise typer.Exit(1) from error
        typer.echo(f"topic {name}: present")
