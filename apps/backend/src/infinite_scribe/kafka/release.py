"""Releasing librdkafka clients, in one place. A client only dropped is destroyed whenever its
last reference goes, and some were not at all: each kept its threads, its sockets and its wakeup
pipes (a test worker held 169 clients and 1,000 descriptors by the end of a run). So every owner
releases its clients when it stops, with these."""

from confluent_kafka import Producer
from confluent_kafka.admin import AdminClient


def release_admin(admin: AdminClient | None) -> None:
    """Destroy `admin` now (its context manager's exit); a second release does nothing."""
    if admin is not None:
        admin.__exit__(None, None, None)


def release_producer(producer: Producer | None, flush_seconds: float) -> None:
    """Deliver what `producer` holds for up to `flush_seconds`, fail the rest (their reports
    say _PURGE_*), and destroy it: close() alone waits up to the message timeout."""
    if producer is None:
        return
    producer.flush(flush_seconds)
    producer.purge(in_queue=True, in_flight=True, blocking=False)
    producer.close()
