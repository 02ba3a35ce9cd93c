"""Composition of the live stream: the process's one feed and hub, the ticket store, and the
service routes use; the hub runs for the lifetime of the API (started in lifespan)."""

from functools import partial

import asyncpg

from infinite_scribe.application.live_stream import LiveStreams, NovelOwner, StreamOptions
from infinite_scribe.application.sessions import GenesisSessions
from infinite_scribe.application.stream_hub import StreamHub
from infinite_scribe.kafka.drafts import KafkaDraftSource, drafts_topic, ensure_drafts_topic
from infinite_scribe.persistence.stream.event_feed import PostgresEventFeed
from infinite_scribe.persistence.stream.follows import PostgresStreamFollows
from infinite_scribe.persistence.stream.tickets import PostgresStreamTickets
from infinite_scribe.settings.settings import Settings


async def start_live_streams(
    settings: Settings,
    database_url: str,
    pool: asyncpg.Pool,
    sessions: GenesisSessions,
    novels: NovelOwner | None = None,
) -> LiveStreams:
    """The process's live streams with their hub running (`LiveStreams.stop` ends it)."""
    feed = PostgresEventFeed(database_url, pool, settings.stream_gap_timeout_seconds)
    hub = StreamHub(
        feed,
        queue_size=settings.stream_queue_size,
        poll_interval=settings.stream_poll_interval,
        drafts=_draft_source(settings),
        follows=PostgresStreamFollows(pool),
    )
    await hub.start()
    return LiveStreams(
        hub,
        feed,
        PostgresStreamTickets(pool),
        sessions,
        StreamOptions(
            ticket_ttl_seconds=settings.stream_ticket_ttl_seconds,
            keepalive_seconds=settings.stream_keepalive_seconds,
        ),
        novels,
    )


def _draft_source(settings: Settings) -> KafkaDraftSource | None:
    """The agents' drafts (docs/agents.md), when a broker is configured; the topic is made
    on the source's thread, so a broker that is away never holds up the API's start."""
    cluster = settings.kafka_connection()
    if cluster is None:
        return None
    topic = drafts_topic(settings.kafka_topic)
    ensure = partial(
        ensure_drafts_topic,
        cluster,
        topic,
        settings.kafka_topic_partitions,
        settings.kafka_topic_replication_factor,
        settings.drafts_retention_ms,
    )
    return KafkaDraftSource(cluster, topic, ensure=ensure)
