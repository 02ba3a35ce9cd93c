"""The Kafka cluster's settings: where it is, how to talk to it (settings/kafka.py turns every
other KAFKA_<NAME> variable into a librdkafka option), the topics the project creates
(docs/deploy.md). Unset: `scribe up` starts an embedded broker. Mixed into `Settings`."""

from pathlib import Path
from typing import Annotated, ClassVar, Self

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings

from infinite_scribe.settings.fields import count, port
from infinite_scribe.settings.kafka import KafkaConnection, check_property, read_properties_file


class KafkaSettings(BaseSettings):
    section: ClassVar[str] = "Kafka ([docs/deploy.md](docs/deploy.md))"

    kafka_bootstrap_servers: Annotated[
        str | None,
        Field(
            description="`host:port[,host:port]`. Unset, with no `KAFKA_HOST` either: "
            "`scribe up` starts an embedded broker and the other commands find it."
        ),
    ] = None
    kafka_host: Annotated[
        str | None,
        Field(description="The broker in parts, when `KAFKA_BOOTSTRAP_SERVERS` is unset: host."),
    ] = None
    kafka_port: Annotated[int, port("Its port (with `KAFKA_HOST`).", ge=1)] = 9092
    kafka_cluster_id: Annotated[
        str | None,
        Field(
            min_length=1,
            max_length=200,
            description="The cluster id the broker must report; any other broker is refused "
            "(health 503, nothing published or consumed). Unset: any (`scribe up` sets its "
            "embedded broker's).",
        ),
    ] = None
    embedded_kafka_port: Annotated[
        int,
        port("The port of `scribe up`'s embedded broker (0: a free one)."),
    ] = 0
    kafka_topic: Annotated[
        str,
        Field(
            min_length=1,
            max_length=249,
            pattern=r"^[A-Za-z0-9._-]+$",
            description="The topic domain events are published to; the dead-letter topic "
            "`<KAFKA_TOPIC>.dlq` and the drafts topic `<KAFKA_TOPIC>.drafts` sit beside it.",
        ),
    ] = "domain-events"
    kafka_topic_partitions: Annotated[
        int,
        count(
            "Partitions of the topics the project creates (the main topic, its "
            "`.dlq` and `.drafts`); agent workers beyond this count idle.",
            le=1024,
        ),
    ] = 6
    kafka_topic_replication_factor: Annotated[
        int,
        Field(
            ge=-1,
            le=32,
            description="Replicas of the topics the project creates (-1: the broker's default).",
        ),
    ] = 1
    kafka_broker_max_message_bytes: Annotated[
        int,
        Field(
            ge=1024,
            le=100_000_000,
            description="The broker's `message.max.bytes` (Kafka's default); "
            "`RELAY_MAX_MESSAGE_BYTES` must not exceed it (checked at start-up).",
        ),
    ] = 1_048_588
    kafka_config_file: Annotated[
        Path | None,
        Field(
            description="A librdkafka properties file (`name=value` lines: SASL, TLS, tuning; "
            "`bootstrap.servers` too); `KAFKA_<NAME>` variables win over it."
        ),
    ] = None
    kafka_client_options: Annotated[
        dict[str, str],
        Field(
            description="librdkafka options as a JSON object. Usually gathered from the "
            "`KAFKA_<NAME>` variables instead: any librdkafka property with `.` written `_` "
            "(`KAFKA_SECURITY_PROTOCOL=SASL_SSL`, `KAFKA_SASL_USERNAME`, "
            "`KAFKA_SSL_CA_LOCATION`, ...); an unknown name, or one the project sets itself, "
            "stops start-up."
        ),
    ] = Field(default_factory=dict)

    @field_validator("kafka_client_options")
    @classmethod
    def _known_options(cls, value: dict[str, str]) -> dict[str, str]:
        # Also when given whole (KAFKA_CLIENT_OPTIONS as JSON, or in code).
        for name in value:
            check_property(name, "KAFKA_CLIENT_OPTIONS")
        return value

    @field_validator("kafka_topic_replication_factor")
    @classmethod
    def _replicas(cls, value: int) -> int:
        if value == 0:
            raise ValueError("must be at least 1, or -1 for the broker's default")
        return value

    @model_validator(mode="after")
    def _kafka_config_file(self) -> Self:
        if self.kafka_config_file is None:
            return self
        from_file = read_properties_file(self.kafka_config_file)
        servers = from_file.pop("bootstrap.servers", None)
        if servers and self.kafka_bootstrap_servers is None and self.kafka_host is None:
            self.kafka_bootstrap_servers = servers
        self.kafka_client_options = from_file | self.kafka_client_options
        return self

    @property
    def embedded_kafka(self) -> bool:
        return self.kafka_bootstrap_servers is None and self.kafka_host is None

    def resolved_kafka_servers(self) -> str | None:
        if self.kafka_bootstrap_servers:
            return self.kafka_bootstrap_servers
        if self.kafka_host:
            return f"{self.kafka_host}:{self.kafka_port}"
        return None

    def kafka_connection(self) -> KafkaConnection | None:
        """What every Kafka client is built from (settings/kafka.py, client_config)."""
        servers = self.resolved_kafka_servers()
        if servers is None:
            return None
        return KafkaConnection(servers, dict(self.kafka_client_options))
