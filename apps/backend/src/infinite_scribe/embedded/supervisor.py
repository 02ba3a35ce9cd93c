"""`scribe up` restarts the embedded services it started when they die (issue 21): the broker
(on the same port, with the same cluster id, its topics created again before anything else is
expected of it) and PostgreSQL (same data directory and socket), with exponential backoff; and
the local model engine (on the same port) when `LLM_LOCAL_MODEL` runs one (issue 68).

The broker keeps messages in memory only, so a restarted broker is empty: what it held is not
lost, though. Every outbox row the relay had not yet published is published to the new broker;
the agent requests it had published but no worker had finished are re-published by the agent
worker's re-drive sweep (WORKER_REDRIVE_AFTER_SECONDS), since their tasks stay unfinished.
"""

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from infinite_scribe.embedded.kafka import EmbeddedKafka
from infinite_scribe.embedded.local_engine import LocalEngine
from infinite_scribe.embedded.postgres import EmbeddedPostgres
from infinite_scribe.runtime.periodic import Periodic, run_every

logger = logging.getLogger(__name__)

#: Seconds before the first restart; doubled after each failed attempt, up to the maximum.
FIRST_BACKOFF_SECONDS = 0.5
MAX_BACKOFF_SECONDS = 30.0


@dataclass
class Child:
    """One supervised service: how to tell it is alive, and how to start it again."""

    name: str
    alive: Callable[[], bool]
    restart: Callable[[], Awaitable[None]]
    restarts: int = 0
    failures: int = 0
    next_attempt: float = 0.0
    down_since: float | None = None


def kafka_child(kafka: EmbeddedKafka, after_start: Callable[[], None]) -> Child:
    """The broker: spawned on this (the main) thread, since its parent-death signal follows the
    thread that forked it; `after_start` (topic creation) runs in a thread."""

    async def restart() -> None:
        kafka.spawn()
        await kafka.wait_listening()
        try:
            await asyncio.to_thread(after_start)
        except Exception:
            kafka.stop()  # a broker without its topics would take messages it cannot keep
            raise

    return Child("embedded Kafka broker", lambda: kafka.alive, restart)


def postgres_child(postgres: EmbeddedPostgres) -> Child:
    async def restart() -> None:
        await asyncio.to_thread(postgres.restart)

    return Child("embedded PostgreSQL", lambda: postgres.alive, restart)


def engine_child(engine: LocalEngine) -> Child:
    """The local model engine (issue 68): started again on the same port, so the worker's
    LLM_BASE_URL stays right; the generation it was serving is retried by the worker."""
    return Child("local model engine", lambda: engine.alive, engine.restart)


class Supervisor:
    """Checks the children every `interval` seconds until the stop event; restarts the dead."""

    def __init__(self, children: list[Child], interval: float = 0.5) -> None:
        self.children = children
        self.interval = interval

    async def run(self, stop: asyncio.Event) -> None:
        """The children checked every `interval` (a `runtime.periodic` job) until `stop`."""
        checks = Periodic(
            "the embedded services' supervisor", self.interval, lambda: self._all(stop)
        )
        await run_every(checks, stop)

    async def _all(self, stop: asyncio.Event) -> None:
        for child in self.children:
            if not stop.is_set():  # none restarted once the shut-down began
                await self._check(child)

    async def _check(self, child: Child) -> None:
        clock = asyncio.get_running_loop().time  # the loop's clock: its waits' own (a test's fake)
        now = clock()
        if child.alive():
            return
        if child.down_since is None:
            child.down_since, child.next_attempt = now, now + FIRST_BACKOFF_SECONDS
            logger.warning("%s died; restarting it in %.1f s", child.name, FIRST_BACKOFF_SECONDS)
            return
        if now < child.next_attempt:
            return
        try:
            await child.restart()
        except Exception as error:
            child.failures += 1
            delay = min(FIRST_BACKOFF_SECONDS * 2**child.failures, MAX_BACKOFF_SECONDS)
            child.next_attempt = clock() + delay
            logger.warning(
                "%s restart failed (%s: %s); next attempt in %.1f s",
                child.name,
                type(error).__name__,
                error,
                delay,
            )
            return
        child.restarts += 1
        logger.warning(
            "%s restarted after %.1f s down (restart %d)",
            child.name,
            clock() - child.down_since,
            child.restarts,
        )
        child.failures, child.down_since = 0, None
