"""The relay loop: claim head-of-line batches, publish them, acknowledge, retry or release.

Up to `relay_max_in_flight_batches` batches are in flight at once (the next claim overlaps the
broker round trip of the previous batch); ordering does not depend on it, see `store.py`.
"""

import asyncio
import contextlib
import dataclasses
import logging
import os
import socket
import time
import uuid
from contextlib import AsyncExitStack
from dataclasses import dataclass

import asyncpg
from confluent_kafka import KafkaError

from infinite_scribe.application.ports.relay import ClaimedRow
from infinite_scribe.kafka.producer import too_large_report
from infinite_scribe.persistence.errors import DATABASE_ERRORS
from infinite_scribe.persistence.relay.members import Share
from infinite_scribe.persistence.relay.store import WHOLE, OutboxStore
from infinite_scribe.relay.health import refresh_gauges, relay_health
from infinite_scribe.relay.logical import LogicalReader, ReaderOptions
from infinite_scribe.relay.metrics import RelayMetrics
from infinite_scribe.relay.outcome import sort_reports
from infinite_scribe.relay.parts import RelayClients, RelayParts
from infinite_scribe.relay.shares import keep_share
from infinite_scribe.relay.wakeup import listen_forever
from infinite_scribe.runtime.worker import RuntimeOptions, run_worker

logger = logging.getLogger(__name__)

#: The "error" of a message acknowledged by a broker the relay cannot vouch for: an outage.
_FOREIGN_ACK = KafkaError(KafkaError._TRANSPORT, "acknowledged across a reconnection")


@dataclass
class RelayStats:
    published: int = 0
    retried: int = 0
    failed: int = 0
    released: int = 0


class Relay:
    """One relay instance, a `runtime.Worker` built from the parts it is handed
    (relay/parts.py, by composition/relay.py); `run(stop)` returns once `stop` is set and
    everything is released."""

    name = "relay"

    def __init__(self, parts: RelayParts, relay_id: str | None = None) -> None:
        self.options = parts.options
        self.relay_id = relay_id or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self._runtime = dataclasses.replace(parts.runtime, on_metrics_port=self._metrics_listening)
        self.metrics = RelayMetrics()
        self.registry = self.metrics.registry
        self.stats = RelayStats()
        # The producers and the probe tell this relay of an outage (it stops claiming).
        self.publisher = parts.publisher
        self.publisher.on_broker_down = self.broker_down
        # Started by the slot reader when the database has a slot.
        self.bulk_publisher = parts.bulk_publisher
        self.bulk_publisher.on_broker_down = self.broker_down
        self.broker_probe = parts.broker_probe
        self.broker_probe.on_wrong_cluster = self.broker_down
        self.outage = False
        self.metrics_port: int | None = None
        self._wake = asyncio.Event()
        self._inflight: set[asyncio.Task[None]] = set()
        # The pool and the outbox store, opened from the handed opener at start-up.
        self._open_clients = parts.clients
        self._stack = AsyncExitStack()
        self._clients: RelayClients | None = None
        self._helpers: list[asyncio.Task[None]] = []
        #: The key buckets this relay claims from first (all of them until its first heartbeat).
        self.share: Share = WHOLE

    def _clients_pool(self) -> asyncpg.Pool:
        assert self._clients is not None
        return self._clients.pool

    @property
    def store(self) -> OutboxStore:
        """The outbox store (the worker runtime calls `work` only after `startup`)."""
        if self._clients is None:
            raise RuntimeError("the relay has not started")
        return self._clients.store

    # -- health -----------------------------------------------------------------------------

    def broker_down(self) -> None:
        """An outage (a producer's report, the probe, the slot reader): claiming stops until
        the broker answers again."""
        if not self.outage:
            logger.warning("broker outage: claiming stopped until it answers again")
        self.outage = True
        self.metrics.broker_up.set(0)

    async def health(self) -> tuple[bool, dict[str, object]]:
        return await relay_health(self)

    async def _keep_share(self, stop: asyncio.Event) -> None:
        assert self._clients is not None
        await keep_share(self._clients.members, self.options.member_ttl_seconds, stop, self)

    async def _claim(self, store: OutboxStore, limit: int) -> list[ClaimedRow]:
        """Rows of this relay's share first; when it has fewer than `limit` ready, the rest from
        any key (a dead relay's keys are served before its share is given away)."""
        rows = await store.claim(limit, self.share)
        if len(rows) < limit and self.share != WHOLE:
            more = await store.claim(limit - len(rows), WHOLE)
            if more:
                rows = sorted(rows + more, key=lambda row: row.position)
        return rows

    # -- the loop ---------------------------------------------------------------------------

    def runtime_options(self) -> RuntimeOptions:
        """How the worker runtime runs this relay (the handed options, told the port)."""
        return self._runtime

    async def run(self, stop: asyncio.Event) -> None:
        """The whole lifecycle on the worker runtime, inside a process that owns `stop`."""
        await run_worker(self, stop, self.runtime_options())

    def _metrics_listening(self, port: int) -> None:
        self.metrics_port = port

    async def startup(self) -> None:
        opened = self._open_clients(self.relay_id)
        self._clients = await self._stack.enter_async_context(opened)
        self.publisher.start()  # the slot reader starts its own once it finds a slot

    async def work(self, stop: asyncio.Event, grace_seconds: float) -> None:
        store, url, poll = self.store, self.options.database_url, self.options.poll_interval
        reader = LogicalReader(self, ReaderOptions.of(self.options), self._clients_pool())
        self._helpers = [
            asyncio.create_task(listen_forever(url, self._wake, stop, poll)),
            asyncio.create_task(refresh_gauges(store, self.metrics, stop)),
            asyncio.create_task(self.broker_probe.run(stop)),
            asyncio.create_task(self._keep_share(stop)),
        ]
        logger.info("relay %s started", self.relay_id)
        if self.options.cluster_id is not None:
            # Not one claim before the broker proved to be the expected cluster (the probe's
            # first answer may come a second late): the outage path checks it first.
            self.outage = True
        reading = asyncio.create_task(reader.run(stop))
        try:
            await self._loop(store, stop)
        finally:
            # The slot reader ends after its batch (stop is set); then the table's batches.
            await asyncio.wait([reading], timeout=grace_seconds)
            reading.cancel()
            await self._drain(store, grace_seconds)

    async def shutdown(self) -> None:
        for task in self._helpers:
            task.cancel()
        await asyncio.gather(*self._helpers, return_exceptions=True)
        await self._stack.aclose()  # the pool, also after a start that failed part way
        logger.info("relay %s stopped: %s", self.relay_id, self.stats)

    async def _sleep(self, stop: asyncio.Event, seconds: float, wake: bool = True) -> None:
        """Sleep until `seconds` pass, `stop` is set or (when `wake`) the wake event is set."""
        waits = [asyncio.create_task(stop.wait())]
        if wake:
            waits.append(asyncio.create_task(self._wake.wait()))
        try:
            await asyncio.wait(waits, timeout=seconds, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in waits:
                task.cancel()

    async def _loop(self, store: OutboxStore, stop: asyncio.Event) -> None:
        batch_size = self.options.batch_size
        max_inflight = self.options.max_in_flight_batches
        poll = self.options.poll_interval
        while not stop.is_set():
            if self.publisher.fatal and not self._inflight:
                logger.warning("replacing the producer after a fatal error")
                self.publisher.restart()
            if self.outage:
                await self._await_broker(stop)
                continue
            if len(self._inflight) >= max_inflight:
                self._wake.clear()
                await self._sleep(stop, poll)
                continue
            self._wake.clear()
            try:
                rows = await self._claim(store, batch_size)
            except DATABASE_ERRORS as error:
                logger.warning("claim failed (%s); retrying", error)
                await self._sleep(stop, 1.0, wake=False)
                continue
            if rows:
                task = asyncio.create_task(self._deliver(store, rows))
                self._inflight.add(task)
                task.add_done_callback(self._batch_done)
                if len(rows) == batch_size:
                    continue  # a full batch: more is probably waiting, claim again at once
            await self._sleep(stop, poll)

    def _batch_done(self, task: "asyncio.Task[None]") -> None:
        self._inflight.discard(task)
        self._wake.set()  # acknowledged heads unblock the next rows of their keys
        if not task.cancelled() and task.exception() is not None:
            logger.error("delivery task failed", exc_info=task.exception())

    async def _await_broker(self, stop: asyncio.Event) -> None:
        replaced = False
        while not stop.is_set():
            if self._inflight:
                # Their messages are delivered or time out (and are released) first.
                await self._sleep(stop, 0.5, wake=False)
                continue
            if not replaced:
                # A fresh producer for every outage: a restarted broker may have forgotten the
                # idempotent producer's id and sequence numbers, and the old producer can stay
                # stuck timing messages out against it even though it is reachable again.
                self.publisher.restart()
                replaced = True
            problem = await self.publisher.problem()
            if problem is None:
                logger.info(
                    "broker reachable again: resuming"
                    if self.stats.published or self.stats.released
                    else "broker answers as the expected cluster: publishing"
                )
                self.outage = False
                self.metrics.broker_up.set(1)
                self._wake.set()
                return
            await self._sleep(stop, 1.0, wake=False)

    async def _deliver(self, store: OutboxStore, rows: list[ClaimedRow]) -> None:
        started, disconnects = time.monotonic(), self.publisher.disconnects
        results = await self.publisher.publish(rows)
        self.metrics.publish_latency.observe(time.monotonic() - started)
        if disconnects != self.publisher.disconnects and not await self._same_cluster():
            # The connection was lost meanwhile: whoever acknowledged may be another cluster
            # now on the address. Not SENT, then: published again once the right one answers.
            results = [_FOREIGN_ACK] * len(rows)
        if any(error is not None and error.fatal() for error in results):
            self.publisher.fatal = True
        outcome = sort_reports(rows, results)
        await self._with_retry(store.mark_sent, outcome.sent)
        self.stats.published += len(outcome.sent)
        self.metrics.published.inc(len(outcome.sent))
        if outcome.released:
            logger.warning(
                "%d messages not acknowledged (%s)", len(outcome.released), outcome.release_reason
            )
            if outcome.outage:
                self.broker_down()
        back = outcome.released + outcome.held
        if back:
            await self._with_retry(store.release, [row.id for row in back])
            self.stats.released += len(back)
            self.metrics.released.inc(len(back))
        for row, error in outcome.rejected:
            await self._reject(store, row, error)

    def count_published(self, sent: int, released: int) -> None:
        """What the slot reader acknowledged (`released`: handed to the table)."""
        self.stats.published += sent
        self.metrics.published.inc(sent)
        self.stats.released += released

    async def _same_cluster(self) -> bool:
        if self.options.cluster_id is None:
            return True
        problem = await self.publisher.problem()
        if problem is not None:
            logger.warning("batch acknowledged across a reconnection not marked SENT: %s", problem)
            self.broker_down()
        return problem is None

    async def _reject(self, store: OutboxStore, row: ClaimedRow, error: KafkaError) -> None:
        attempts = row.attempts + 1
        too_large = too_large_report(row, error, self.options.max_message_bytes)
        backoff = self.options.retry_backoff
        failed = attempts > len(backoff)
        delay = 0.0 if failed else backoff[attempts - 1]
        logger.log(
            logging.ERROR if too_large else logging.WARNING,
            "message %s rejected (attempt %d): %s%s",
            row.id,
            attempts,
            too_large or error,
            "; FAILED" if failed else f"; retry in {delay}s",
        )
        await store.rejected(
            row.id,
            failed=failed,
            delay=delay,
            error=too_large or error.str(),
            error_class=error.name(),
        )
        if failed:
            self.stats.failed += 1
            self.metrics.failures.inc()
        else:
            self.stats.retried += 1
            self.metrics.retries.inc()
            loop = asyncio.get_running_loop()
            # Twice: the row's next_attempt_at is on the database clock, not ours.
            for slack in (0.02, 0.3):
                loop.call_later(delay + slack, self._wake.set)

    async def _with_retry(self, statement: object, ids: list[uuid.UUID]) -> None:
        """Run an acknowledging statement, retrying while the database is unreachable."""
        assert callable(statement)
        for attempt in range(20):
            try:
                await statement(ids)
                return
            except DATABASE_ERRORS as error:
                logger.warning("outbox update failed (%s), attempt %d", error, attempt + 1)
                await asyncio.sleep(0.5)
        # The lease expires and the rows are published again: at-least-once, nothing lost.
        logger.error("giving up on updating %d outbox rows", len(ids))

    async def _drain(self, store: OutboxStore, grace_seconds: float) -> None:
        """Stop: let in-flight batches finish, purge what is left, release our leases, flush."""
        if self._inflight:
            await asyncio.wait(set(self._inflight), timeout=grace_seconds)
        if self._inflight:
            self.publisher.purge()  # their reports arrive as _PURGE_* errors: rows released
            await asyncio.wait(set(self._inflight), timeout=1.5)
            for task in list(self._inflight):
                task.cancel()
        with contextlib.suppress(*DATABASE_ERRORS):
            released = await asyncio.wait_for(store.release_all(), 2)
            if released:
                logger.info("released %d claimed rows", released)
            assert self._clients is not None
            await asyncio.wait_for(self._clients.members.leave(), 2)
        await asyncio.to_thread(self.publisher.close, 1.0)
        await asyncio.to_thread(self.bulk_publisher.close, 1.0)
