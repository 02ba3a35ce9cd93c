"""`EventFeed` on PostgreSQL: one dedicated connection per API process LISTENs on the outbox
channel (every command commit NOTIFYs it) and reads new `domain_events` rows by id, settled
by `GapTracker`; replays and the tasks a client sees on connect use the shared pool."""

import asyncio
import contextlib
import logging
from collections.abc import Collection
from typing import Any
from uuid import UUID

import asyncpg
import orjson

from infinite_scribe.application.ports.stream import FeedWake, StreamEvent, TaskProgress
from infinite_scribe.domain.chapters import AGGREGATE_TYPE as NOVEL
from infinite_scribe.domain.genesis import AGGREGATE_TYPE
from infinite_scribe.persistence.database import connect
from infinite_scribe.persistence.errors import DATABASE_ERRORS, translated
from infinite_scribe.persistence.event_store import envelope_json
from infinite_scribe.persistence.outbox.notifier import OUTBOX_CHANNEL
from infinite_scribe.persistence.stream.event_horizon import GapTracker
from shared_types import DomainEventRow

logger = logging.getLogger(__name__)

# Hot rows only (the partition pruned): what is new is never in the archive, and rows moved
# back from it keep their old ids, below the cursor (decision 5101).
_ADVANCE = "SELECT * FROM domain_events WHERE id > $1 AND NOT archived ORDER BY id LIMIT $2"
# The writers that may still hold an uncommitted id: ROW EXCLUSIVE on domain_events in this
# database (stream/event_horizon.py). pg_locks is live (not MVCC): a look at it sees the present.
_WRITER_LOCKS = """
FROM pg_locks
WHERE locktype = 'relation' AND relation = 'domain_events'::regclass AND granted
  AND mode = 'RowExclusiveLock'
  AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
"""
_WRITERS = f"SELECT coalesce(array_agg(DISTINCT virtualtransaction), '{{}}') {_WRITER_LOCKS}"
_STILL_WRITING = f"SELECT EXISTS (SELECT 1 {_WRITER_LOCKS} AND virtualtransaction = ANY($1))"
#: How soon the feed looks again while a hole waits for its writers (a rollback sends no NOTIFY).
_HOLE_RECHECK_SECONDS = 0.02
_TOP = "SELECT coalesce(max(id), 0) FROM domain_events"
_REPLAY = (
    "SELECT * FROM domain_events WHERE aggregate_type = ANY($1::text[]) AND aggregate_id = $2 "
    "AND id > $3 AND id <= $4 ORDER BY id LIMIT $5"
)
#: The aggregates a stream follows, by their id: genesis sessions and novels (issue 39).
_FOLLOWED = (AGGREGATE_TYPE, NOVEL)
_TASK_COLUMNS = (
    "id, session_id, task_type, status::text AS status, progress, message, correlation_id, "
    "updated_at"
)
_TOUCHED_TASKS = (
    f"SELECT {_TASK_COLUMNS} FROM async_tasks WHERE session_id = ANY($1::uuid[]) "
    "AND updated_at > now() - make_interval(secs => $2)"
)
_OPEN_TASKS = (
    f"SELECT {_TASK_COLUMNS} FROM async_tasks WHERE session_id = $1 "
    "AND status IN ('PENDING', 'RUNNING') ORDER BY created_at"
)


def stream_event(row: asyncpg.Record | dict[str, Any], encode: bool = True) -> StreamEvent:
    """The event as clients get it: its envelope plus `id`, the global position."""
    fields = {key: row[key] for key in DomainEventRow.model_fields}
    event_id = int(fields["id"])
    # Streams follow genesis sessions and novels: another aggregate's event goes to nobody
    # ("" matches no stream), as replays only read those aggregates.
    session = str(fields["aggregate_id"]) if fields["aggregate_type"] in _FOLLOWED else ""
    if not encode or not session:
        return StreamEvent(event_id, session, b"")
    data = orjson.dumps({"id": event_id} | envelope_json(fields))
    return StreamEvent(event_id, session, data, str(fields["event_type"]))


def task_progress(row: asyncpg.Record) -> TaskProgress:
    correlation_id = row["correlation_id"]
    body = {
        "task_id": str(row["id"]),
        "session_id": str(row["session_id"]),
        "task_type": row["task_type"],
        "status": row["status"],
        "progress": float(row["progress"]),
        "message": row["message"],
        "correlation_id": None if correlation_id is None else str(correlation_id),
        "updated_at": row["updated_at"],
    }
    signature = (row["status"], str(row["progress"]), row["message"] or "")
    return TaskProgress(UUID(body["task_id"]), body["session_id"], signature, orjson.dumps(body))


class PostgresEventFeed:
    """The per-process feed; `wait`/`advance`/`task_progress` are called by one hub task only."""

    def __init__(self, database_url: str, pool: asyncpg.Pool, gap_timeout: float) -> None:
        self.database_url = database_url
        self.pool = pool
        self.gap_timeout = gap_timeout
        self.tracker: GapTracker | None = None
        self._connection: asyncpg.Connection | None = None
        self._wake = asyncio.Event()
        self._events_noticed = True
        self._tasks_noticed = True

    async def open(self) -> int:
        try:
            return await self._open()
        except BaseException:
            await self._drop()
            raise

    async def _open(self) -> int:
        await self._connect()
        connection = self._connection
        assert connection is not None
        top = int(await connection.fetchval(_TOP))
        # Ids at or below `top` may still be held by writers running now: wait until those have
        # ended, so the first horizon is settled (see stream/event_horizon.py).
        writers = await connection.fetchval(_WRITERS)
        deadline = asyncio.get_running_loop().time() + self.gap_timeout
        while writers and await connection.fetchval(_STILL_WRITING, writers):
            if asyncio.get_running_loop().time() > deadline:
                logger.warning("writers older than the stream feed still run; starting anyway")
                break
            await asyncio.sleep(0.01)
        self.tracker = GapTracker(top, self.gap_timeout)
        return self.tracker.cursor

    async def _connect(self) -> None:
        connection = await asyncio.wait_for(connect(self.database_url), 10)
        await connection.add_listener(OUTBOX_CHANNEL, self._notice)
        connection.add_termination_listener(lambda _connection: self._wake.set())
        self._connection = connection

    def _notice(self, _connection: object, _pid: int, _channel: str, _payload: str) -> None:
        self._events_noticed = True
        self._wake.set()

    async def wait(self, at_most: float) -> FeedWake:
        if self.tracker is not None and self.tracker.waiting_on:
            at_most = min(at_most, _HOLE_RECHECK_SECONDS)
        # asyncio.timeout, not wait_for: Python 3.11's wait_for returns the inner result when
        # its task is cancelled just as the event is set, so a hub stopped under load (a wake
        # on every commit) went on forever and the API never shut down.
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(at_most):
                await self._wake.wait()
        self._wake.clear()
        woke = FeedWake(self._events_noticed, self._tasks_noticed)
        self._events_noticed = self._tasks_noticed = False
        if self._connection is None or self._connection.is_closed():
            await self._reconnect()
            return FeedWake(True, True)  # NOTIFYs sent while away are lost: catch up
        return woke

    async def _reconnect(self) -> None:
        await self._drop()
        try:
            await self._connect()
        except DATABASE_ERRORS as error:
            logger.warning("stream LISTEN connection unavailable (%s); polling", error)

    async def _drop(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None and not connection.is_closed():
            connection.terminate()

    async def advance(self, limit: int, sessions: Collection[str]) -> tuple[list[StreamEvent], int]:
        tracker, connection = self.tracker, self._connection
        assert tracker is not None, "open() first"
        if connection is None:
            return [], tracker.cursor
        rows: list[asyncpg.Record] = []
        try:
            await self._settled_rows(connection, tracker, limit, rows)
        except DATABASE_ERRORS as error:
            # Keep what was settled before the failure: the cursor has moved past it.
            logger.warning("stream feed read failed (%s); reconnecting", error)
            await self._drop()
        events = [stream_event(row, encode=row["aggregate_id"] in sessions) for row in rows]
        return events, tracker.cursor

    async def _settled_rows(
        self,
        connection: asyncpg.Connection,
        tracker: GapTracker,
        limit: int,
        settled: list[asyncpg.Record],
    ) -> None:
        """Append to `settled` the rows the cursor moves through (as it moves, so a failure
        half-way loses nothing the cursor has passed)."""
        # Order matters: a hole is cleared only by a look at pg_locks taken before the read
        # that skips it (stream/event_horizon.py).
        if tracker.waiting_on and not await connection.fetchval(
            _STILL_WRITING, list(tracker.waiting_on)
        ):
            tracker.holders_ended()
        # Each round passes at least one hole nobody can fill any more, so the loop ends.
        while True:
            rows = await connection.fetch(_ADVANCE, tracker.cursor, limit)
            accepted = tracker.accept([row["id"] for row in rows])
            settled.extend(rows[:accepted])
            if not tracker.wants_holders:
                break
            tracker.set_holders(await connection.fetchval(_WRITERS))
            if tracker.waiting_on:
                break
            # Nobody can fill the hole any more: read again (after that look) and pass it.

    async def replay(self, session_id: str, after: int, upto: int, limit: int) -> list[StreamEvent]:
        with translated():
            rows = await self.pool.fetch(_REPLAY, list(_FOLLOWED), session_id, after, upto, limit)
        return [stream_event(row) for row in rows]

    async def task_progress(
        self, session_ids: list[str], within_seconds: float
    ) -> list[TaskProgress]:
        connection = self._connection
        if connection is None or not session_ids:
            return []
        try:
            rows = await connection.fetch(_TOUCHED_TASKS, session_ids, within_seconds)
        except DATABASE_ERRORS as error:
            logger.warning("stream task read failed (%s); reconnecting", error)
            await self._drop()
            return []
        return [task_progress(row) for row in rows]

    async def open_tasks(self, session_id: str) -> list[TaskProgress]:
        with translated():
            rows = await self.pool.fetch(_OPEN_TASKS, session_id)
        return [task_progress(row) for row in rows]

    async def close(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None and not connection.is_closed():
            with contextlib.suppress(*DATABASE_ERRORS):
                await asyncio.wait_for(connection.close(), 5)
