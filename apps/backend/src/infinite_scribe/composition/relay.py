"""The relay's composition (issue 35): its options read from `Settings` once, its pool and
outbox store opened on an `AsyncExitStack` (closed in reverse, also after a start that failed
part way), its producers and broker probe built, and the `Relay` handed all of them."""

import asyncio
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager

import asyncpg

from infinite_scribe.composition.common import endpoints, options_from
from infinite_scribe.kafka.bulk_producer import BulkPublisher
from infinite_scribe.persistence.database import close_pool, create_pool, keep_session
from infinite_scribe.persistence.relay.members import RelayMembers
from infinite_scribe.persistence.relay.store import OutboxStore
from infinite_scribe.relay.broker_probe import BrokerProbe
from infinite_scribe.relay.parts import RelayClients, RelayOptions, RelayParts
from infinite_scribe.relay.service import Relay
from infinite_scribe.runtime.worker import RuntimeOptions, serve
from infinite_scribe.settings.settings import Settings


def relay_options(settings: Settings) -> RelayOptions:
    """What the relay reads of the settings (each option: the setting of its name)."""
    url, kafka = endpoints(settings, "relay")
    backoff = tuple(float(p) for p in settings.relay_retry_backoff.split(",") if p.strip())
    return options_from(
        settings,
        RelayOptions,
        ("relay_", "kafka_", "relay_broker_"),
        database_url=url,
        kafka=kafka,
        retry_backoff=backoff,
    )


async def relay_pool(database_url: str, size: int) -> asyncpg.Pool:
    """The relay's connections commit asynchronously (synchronous_commit=off).

    Safe here and only here: a crash of PostgreSQL may forget the last few commits, i.e. a lease
    (the row is claimable again) or a SENT mark (the row is published again, which at-least-once
    allows; consumers deduplicate on ce_id). No row the relay did not write can be lost.
    """
    return await create_pool(
        database_url,
        min_size=2,
        max_size=size,
        server_settings={"synchronous_commit": "off", "application_name": "scribe-relay"},
        # Every relay statement is one autocommit statement that sets no session state (LISTEN
        # has its own connection, wakeup.py): asyncpg's reset on release would be one more
        # round trip per claim and per SENT mark (2.5% of the relay's CPU in a drain profile).
        reset=keep_session,
    )


@asynccontextmanager
async def relay_clients(options: RelayOptions, relay_id: str) -> AsyncIterator[RelayClients]:
    """Open the relay's pool (one connection per batch in flight, and three for claims, the
    gauges and health); close it when the block ends."""
    async with AsyncExitStack() as stack:
        pool = await relay_pool(options.database_url, options.max_in_flight_batches + 3)
        stack.push_async_callback(close_pool, pool)
        store = OutboxStore(pool, relay_id, options.lease_seconds, options.max_per_key)
        yield RelayClients(pool, store, RelayMembers(pool, relay_id, options.member_ttl_seconds))


def _publisher(options: RelayOptions) -> BulkPublisher:
    return BulkPublisher(
        options.kafka,
        max_message_bytes=options.max_message_bytes,
        message_timeout_ms=options.message_timeout_ms,
        expected_cluster_id=options.cluster_id,
    )


def relay_parts(settings: Settings) -> RelayParts:
    """The relay's parts; nothing is opened yet (its pool is, at the relay's start-up)."""
    options = relay_options(settings)
    runtime = RuntimeOptions(
        grace_seconds=settings.worker_shutdown_grace_seconds,
        metrics_host=settings.relay_metrics_host,
        metrics_port=settings.relay_metrics_port or None,
    )
    probe = BrokerProbe(
        options.kafka,
        options.probe_interval_seconds,
        options.probe_timeout_seconds,
        expected_cluster_id=options.cluster_id,
    )
    return RelayParts(
        options=options,
        runtime=runtime,
        clients=lambda relay_id: relay_clients(options, relay_id),
        publisher=_publisher(options),
        slot_publisher=_publisher(options),
        broker_probe=probe,
    )


def build_relay(settings: Settings, relay_id: str | None = None) -> Relay:
    return Relay(relay_parts(settings), relay_id)


async def run_relay(settings: Settings, stop: asyncio.Event) -> None:
    """A `serve.Background`: run one relay until `stop` is set (used by `scribe up`)."""
    await build_relay(settings).run(stop)


def serve_relay(settings: Settings) -> None:
    """`scribe relay`: one relay until SIGTERM/SIGINT; every claimed row is acknowledged or
    released before the process exits."""
    relay = build_relay(settings)
    serve(lambda: relay, relay.runtime_options())
