"""The relay process: one `runtime.Worker` that runs the delivery loop (relay/delivery.py) over
its two sources, the outbox table (relay/table_source.py) and the replication slot
(relay/slot_source.py), and owns what they share: the broker outage flag, the counters, the
share of the key space, the NOTIFY listener and its periodic jobs (gauges, broker probe, heartbeat).
"""

import asyncio
import contextlib
import dataclasses
import gc
import logging
import os
import socket
import uuid
from contextlib import AsyncExitStack

import asyncpg

from infinite_scribe.application.ports.relay import ClaimedRow
from infinite_scribe.kafka.producer import Publisher
from infinite_scribe.persistence.errors import DATABASE_ERRORS
from infinite_scribe.persistence.relay.members import RelayMembers, Share
from infinite_scribe.persistence.relay.store import WHOLE, OutboxStore
from infinite_scribe.relay.delivery import Delivery, RelayStats
from infinite_scribe.relay.health import GAUGES_SECONDS, refresh_gauges, relay_health
from infinite_scribe.relay.metrics import RelayMetrics
from infinite_scribe.relay.parts import RelayClients, RelayParts
from infinite_scribe.relay.slot_source import SlotBatch, SlotSource
from infinite_scribe.relay.table_source import TableSource
from infinite_scribe.relay.wakeup import listen_forever
from infinite_scribe.runtime.periodic import Periodic, run_periodic
from infinite_scribe.runtime.worker import RuntimeOptions, run_worker

logger = logging.getLogger(__name__)


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
        self.slot_publisher = parts.slot_publisher
        self.slot_publisher.on_broker_down = self.broker_down
        self.broker_probe = parts.broker_probe
        self.broker_probe.on_wrong_cluster = self.broker_down
        self.outage = False
        #: The replication slot's delivery source, once `work` runs (tests read its counters).
        self.slot_source: SlotSource | None = None
        self.metrics_port: int | None = None
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

    def periodic_jobs(self) -> list[Periodic]:
        """The relay's own periodic jobs (declared, run by `runtime.periodic`): the gauges, the
        broker probe and the heartbeat that keeps its share of the keys."""
        assert self._clients is not None
        members = self._clients.members
        probe = self.broker_probe
        return [
            Periodic(
                "relay gauges", GAUGES_SECONDS, lambda: refresh_gauges(self.store, self.metrics)
            ),
            Periodic("broker probe", probe.interval, probe.probe),
            Periodic(
                "relay heartbeat",
                self.options.member_ttl_seconds / 4,
                lambda: self.keep_share(members),
            ),
        ]

    async def keep_share(self, members: RelayMembers) -> None:
        """One heartbeat, keeping `share` current (four times per member TTL, a periodic job;
        issue 26). While the database does not answer the last share stays: at worst two relays
        claim from the same buckets for a while, which the claim's lease makes safe."""
        share = await members.heartbeat()
        if share != self.share:
            bounds = (share.low, share.high - 1, share.members)
            logger.info(
                "relay %s claims key buckets %d-%d first (%d relays)", self.relay_id, *bounds
            )
        self.share = share

    def broker_up(self) -> None:
        """The broker answers again (the table loop asked it): both loops resume."""
        logger.info(
            "broker reachable again: resuming"
            if self.stats.published or self.stats.released
            else "broker answers as the expected cluster: publishing"
        )
        self.outage = False
        self.metrics.broker_up.set(1)

    async def same_cluster(self, publisher: Publisher) -> bool:
        """After a reconnection during a batch: still the expected cluster?"""
        if self.options.cluster_id is None:
            return True
        problem = await publisher.problem()
        if problem is not None:
            logger.warning("batch acknowledged across a reconnection not marked SENT: %s", problem)
            self.broker_down()
        return problem is None

    @property
    def retry_backoff(self) -> tuple[float, ...]:
        return self.options.retry_backoff

    @property
    def max_message_bytes(self) -> int:
        return self.options.max_message_bytes

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
        # Everything loaded so far lives as long as the process: out of the collector's sight,
        # a full collection walks only what the batches made. The slot reader's batches make
        # tens of thousands of tuples and dicts that live until the broker acknowledges them;
        # each full collection walked the whole heap again (decision 4004).
        gc.freeze()

    async def work(self, stop: asyncio.Event, grace_seconds: float) -> None:
        opts = self.options
        table = self.table_source()
        reader = self.slot_source = SlotSource(opts, self.slot_publisher, self._clients_pool())
        self._helpers = [
            asyncio.create_task(
                listen_forever(opts.database_url, table.wake, stop, opts.poll_interval)
            ),
            asyncio.create_task(run_periodic(self.periodic_jobs(), stop)),
        ]
        logger.info("relay %s started", self.relay_id)
        if opts.cluster_id is not None:
            # Not one claim before the broker proved to be the expected cluster (the probe's
            # first answer may come a second late): the outage path checks it first.
            self.outage = True
        await self._deliver(Delivery(table, self), Delivery(reader, self), stop, grace_seconds)

    def table_source(self) -> TableSource:
        """The outbox table as a source of the delivery loop, claiming this relay's share."""
        opts = self.options
        return TableSource(
            self.store,
            self.publisher,
            self,
            opts.batch_size,
            opts.max_in_flight_batches,
            opts.poll_interval,
        )

    async def _deliver(
        self,
        table: Delivery[list[ClaimedRow]],
        reader: Delivery[SlotBatch],
        stop: asyncio.Event,
        grace_seconds: float,
    ) -> None:
        """Both loops until `stop` (or one fails); then the slot's batch, then the table's."""
        tasks = [asyncio.create_task(table.run(stop)), asyncio.create_task(reader.run(stop))]
        try:
            done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_EXCEPTION)
            for task in done:
                task.result()  # a loop's failure is the relay's
        finally:
            await asyncio.wait(tasks, timeout=grace_seconds)
            for task in tasks:
                task.cancel()
            await reader.drain(grace_seconds)
            await table.drain(grace_seconds)
            await self._leave()

    async def shutdown(self) -> None:
        for task in self._helpers:
            task.cancel()
        await asyncio.gather(*self._helpers, return_exceptions=True)
        await self._stack.aclose()  # the pool, also after a start that failed part way
        logger.info("relay %s stopped: %s", self.relay_id, self.stats)

    async def _leave(self) -> None:
        """Stop: leave the relays' membership, flush and close the producers."""
        with contextlib.suppress(*DATABASE_ERRORS, TimeoutError):
            assert self._clients is not None
            await asyncio.wait_for(self._clients.members.leave(), 2)
        await asyncio.to_thread(self.publisher.close, 1.0)
        await asyncio.to_thread(self.slot_publisher.close, 1.0)
        await asyncio.to_thread(self.broker_probe.close)
