"""Releasing librdkafka clients, in one place. A client only dropped is destroyed whenever its
last reference goes, and some were not at all: each kept its threads, its sockets and its wakeup
pipes (a test worker held 169 clients and 1,000 descriptors by the end of a run). So every owner
releases its clients when it stops, with these."""

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from confluent_kafka import KafkaError, KafkaException, Producer
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


class SharedAdmin:
    """An admin client asked from worker threads (health probes, the cluster guard, the
    console's pipeline probe) and released by its owner. Calls run side by side; the release
    waits for those in progress (a probe's thread outlives its cancelled task), and a call after
    it fails as the broker not answering."""

    def __init__(self, admin: AdminClient) -> None:
        self._admin: AdminClient | None = admin
        self._calls = 0  # in progress
        self._changed = threading.Condition()

    @contextmanager
    def using(self) -> Iterator[AdminClient]:
        """The client for one call (raises KafkaException once released)."""
        with self._changed:
            admin = self._admin
            if admin is None:
                raise KafkaException(KafkaError(KafkaError._DESTROY, "released"))
            self._calls += 1
        try:
            yield admin
        finally:
            with self._changed:
                self._calls -= 1
                self._changed.notify_all()

    def list_topics(self, *args: Any, **kwargs: Any) -> Any:
        with self.using() as admin:
            return admin.list_topics(*args, **kwargs)

    def release(self) -> None:
        """No new call from now; destroys the client once the calls in progress end (blocks
        for up to one call's timeout: run it off the event loop)."""
        with self._changed:
            admin, self._admin = self._admin, None
            self._changed.wait_for(lambda: self._calls == 0)
        release_admin(admin)
