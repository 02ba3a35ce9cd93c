"""What a relay is handed by the composition root (composition/relay.py): its options, how the
worker runtime runs it, an opener of its database clients, its producers and its broker probe.
Nothing here reads `Settings`: a test builds a `Relay` from fakes of these parts."""

from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass

import asyncpg

from infinite_scribe.kafka.bulk_producer import BulkPublisher
from infinite_scribe.persistence.relay.members import RelayMembers
from infinite_scribe.persistence.relay.store import OutboxStore
from infinite_scribe.relay.broker_probe import BrokerProbe
from infinite_scribe.runtime.worker import RuntimeOptions
from infinite_scribe.settings.kafka import KafkaConnection


@dataclass(frozen=True)
class RelayOptions:
    """The relay's settings (RELAY_*, and the endpoints it listens and streams on)."""

    database_url: str
    kafka: KafkaConnection
    batch_size: int
    max_in_flight_batches: int
    max_per_key: int
    member_ttl_seconds: float
    poll_interval: float
    lease_seconds: float
    retry_backoff: tuple[float, ...]
    max_message_bytes: int
    message_timeout_ms: int
    cluster_id: str | None
    probe_interval_seconds: float
    probe_timeout_seconds: float
    health_max_pending_age: float


@dataclass(frozen=True)
class RelayClients:
    """What the relay's opener yields: its pool, the outbox store on it and its membership row."""

    pool: asyncpg.Pool
    store: OutboxStore
    members: RelayMembers


#: Opens a relay's clients for its relay id; entered in the worker's own loop at start-up (a
#: pool belongs to the loop that opened it), left at shut-down.
ClientsOpener = Callable[[str], AbstractAsyncContextManager[RelayClients]]


@dataclass(frozen=True)
class RelayParts:
    """Everything a `Relay` is built from. The relay wires its own callbacks into the
    producers and the probe (an outage stops its claiming)."""

    options: RelayOptions
    runtime: RuntimeOptions
    clients: ClientsOpener
    #: The outbox table's producer and the slot reader's: one kind, one each (each source
    #: replaces its own after a fatal error or an outage).
    publisher: BulkPublisher
    slot_publisher: BulkPublisher
    broker_probe: BrokerProbe
