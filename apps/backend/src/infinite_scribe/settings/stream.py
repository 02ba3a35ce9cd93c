"""The live event stream's settings (issue 11 SSE, issue 21 admission; docs/streaming.md).
Mixed into `Settings` (settings.py)."""

from typing import Annotated, ClassVar

from pydantic import Field
from pydantic_settings import BaseSettings

from infinite_scribe.settings.fields import count, seconds


class StreamSettings(BaseSettings):
    section: ClassVar[str] = "Live stream ([docs/streaming.md](docs/streaming.md))"

    stream_keepalive_seconds: Annotated[
        float, seconds("Silence before a keep-alive comment.", le=300)
    ] = 15.0
    stream_retry_ms: Annotated[
        int,
        Field(
            ge=0, le=600_000, description="The `retry:` hint: how long a client waits to reconnect."
        ),
    ] = 3000
    stream_ticket_ttl_seconds: Annotated[
        int, Field(ge=1, le=3600, description="How long a stream ticket may be redeemed.")
    ] = 60
    stream_poll_interval: Annotated[
        float, seconds("Seconds between fallback polls when no NOTIFY arrives.", le=60)
    ] = 1.0
    stream_queue_size: Annotated[
        int, count("Items queued per client; past it the client re-reads from the database.")
    ] = 256
    stream_gap_timeout_seconds: Annotated[
        float,
        seconds(
            "The longest an id gap held by an unfinished transaction may stall a stream before "
            "it is skipped."
        ),
    ] = 60.0
    stream_max_per_user: Annotated[
        int,
        count(
            "Live streams one user may hold open: 429 `TOO_MANY_STREAMS` with "
            "`Retry-After: 10` past it (a ticket redeemed for a refused stream is spent)."
        ),
    ] = 16
    stream_max_total: Annotated[
        int, count("Live streams the whole process may hold open.", le=1_000_000)
    ] = 4096
    stream_fd_reserve: Annotated[
        int,
        Field(
            ge=16,
            le=1_000_000,
            description="File descriptors kept free for everything else: streams are refused "
            "at `RLIMIT_NOFILE` minus this, whatever `STREAM_MAX_TOTAL` says.",
        ),
    ] = 512
    stream_tickets_per_minute: Annotated[
        int,
        count(
            "Stream tickets one user may mint per minute: 429 `TOO_MANY_TICKETS` with "
            "`Retry-After` until the minute ends."
        ),
    ] = 120
