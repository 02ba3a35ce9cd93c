"""InfiniteScribe backend core: event-sourced command API, outbox relay, idempotency."""

__version__ = "0.1.0"
