"""The relay's settings: outbox rows to Kafka (issues 4 and 26; docs/relay.md). Mixed into
`Settings` (settings.py)."""

from typing import Annotated, ClassVar

from pydantic import Field
from pydantic_settings import BaseSettings

from infinite_scribe.settings.fields import count, port, seconds


class RelaySettings(BaseSettings):
    section: ClassVar[str] = "Relay ([docs/relay.md](docs/relay.md))"

    relay_poll_interval: Annotated[
        float,
        seconds("Seconds between polls of the outbox when no NOTIFY arrives."),
    ] = 5.0
    relay_batch_size: Annotated[int, count("Outbox rows claimed per batch.", le=10_000)] = 500
    relay_max_in_flight_batches: Annotated[
        int, count("Batches awaiting delivery reports at once.", le=64)
    ] = 4
    relay_max_per_key: Annotated[
        int,
        count(
            "Rows of one key claimed and in flight at once, its head included "
            "(its partition keeps them in order; 1: one at a time).",
            le=1000,
        ),
    ] = 8
    relay_member_ttl_seconds: Annotated[
        float,
        Field(
            ge=1,
            le=3600,
            description="A relay not heard from for this long loses its share of the keys to "
            "the others.",
        ),
    ] = 10.0
    relay_lease_seconds: Annotated[
        float,
        seconds("A claim's lease: a crashed relay's rows are claimable again after it."),
    ] = 30.0
    relay_retry_backoff: Annotated[
        str,
        Field(
            pattern=r"^\d+(\.\d+)?(,\d+(\.\d+)?)*$",
            description="Seconds before each retry of a message the broker rejected, "
            "comma-separated.",
        ),
    ] = "1,2,4"
    relay_message_timeout_ms: Annotated[
        int,
        Field(
            ge=1000,
            le=900_000,
            description="The producer's `message.timeout.ms`: an undelivered message is "
            "released for a later claim after it.",
        ),
    ] = 10_000
    relay_max_message_bytes: Annotated[
        int,
        Field(
            ge=1000,
            le=100_000_000,
            description="The producer's `message.max.bytes` (a bigger message is rejected); "
            "above `EVENT_MAX_BYTES`, at most `KAFKA_BROKER_MAX_MESSAGE_BYTES`.",
        ),
    ] = 1_000_000
    relay_metrics_host: Annotated[
        str, Field(description="The relay's `/metrics` and `/health` listener.")
    ] = "127.0.0.1"
    relay_metrics_port: Annotated[
        int,
        port("Its port (0: no listener; `scribe up`: a free one)."),
    ] = 9108
    relay_health_max_pending_age: Annotated[
        float,
        Field(
            gt=0,
            description="The relay's `/health` fails when the oldest PENDING row is older "
            "than this many seconds.",
        ),
    ] = 60.0
    relay_broker_probe_interval_seconds: Annotated[
        float,
        seconds(
            "How often the relay and the agent worker ask the broker for metadata "
            "for their `/health` (a broker that does not answer, or is not "
            "`KAFKA_CLUSTER_ID`, is a 503 `broker_problem`).",
            le=300,
        ),
    ] = 1.0
    relay_broker_probe_timeout_seconds: Annotated[
        float, seconds("How long that metadata request may take.", le=60)
    ] = 1.5
