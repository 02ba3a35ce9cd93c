"""Composition of the live stream: the process's one feed and hub, the ticket store, and the
service routes use; the hub runs for the lifetime of the API (started in lifespan)."""

import asyncpg

from infinite_scribe.application.live_stream import LiveStreams, StreamOptions
from infinite_scribe.application.sessions import GenesisSessions
from infinite_scribe.application.stream_hub import StreamHub
from infinite_scribe.persistence.event_feed import PostgresEventFeed
from infinite_scribe.persistence.stream_tickets import PostgresStreamTickets
from infinite_scribe.settings.settings import Settings


async def start_live_streams(
    settings: Settings, database_url: str, pool: asyncpg.Pool, sessions: GenesisSessions
) -> LiveStreams:
    """The process's live streams with their hub running (`LiveStreams.stop` ends it)."""
    feed = PostgresEventFeed(database_url, pool, settings.stream_gap_timeout_seconds)
    hub = StreamHub(
        feed, queue_size=settings.stream_queue_size, poll_interval=settings.stream_poll_interval
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
    )
