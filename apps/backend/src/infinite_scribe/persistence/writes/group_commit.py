"""Group commit (issue 50, decision 5001): concurrent autocommit writes of one statement shape
go to PostgreSQL as one pipelined batch, one transaction and one commit for all of them.

A write of a shape with fewer than `lanes` batches in flight runs at once, alone, as before: a
lone client waits for nothing. The others queue; when a flight of their shape lands, everything
queued (up to `max_batch`) leaves as the next one: asyncpg's `fetchmany` binds every member's
arguments to the one prepared statement and sends them with a single Sync, so the members run
as one implicit transaction (each statement on its own snapshot, as in autocommit) and commit
once. What a batch saves is per transaction and per round trip: the commit and its WAL flush,
the protocol's turns, a pool acquire, each backend's wake-up (bench/commands.py, docs).

Each member keeps its own outcome. A refusal (a moved version, a taken key, a duplicate) or any
other error the server reports undoes the whole batch, so every member then runs again alone and
gets its own answer, as it would have without the batch. An error that leaves the outcome unknown
(the connection lost mid-flight, a backend terminated: its end may follow the commit) is every
member's error, as it is a lone statement's: running them again could write twice.

No row lock holds a lane (issue 71, decision 7200). The write pool's connections wait at most
`lock_timeout` (database.WRITE_LOCK_WAIT) for a lock; a write refused for that (a novel's row held
by an archive, a purge, a rebuild) leaves the lane and runs again alone, in its own caller's
task, with no lock timeout: it waits for the lock as long as its request does (the request's
deadline cancels it there, as it cancels a member still queued), while the writes of its shape
that do not touch that row keep leaving in flights of their own.
"""

import asyncio
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import asyncpg

from infinite_scribe.application.ports.writes import ATTEMPT

#: Members of one batch at most (its statements share one transaction's locks till the commit).
DEFAULT_MAX_BATCH = 16
#: The lock waits out of the lanes at once, at most (the rest wait for a turn, not a connection).
DEFAULT_LOCK_WAITERS = 4
#: Batches of one shape in flight at once: one (a second flight of a shape only split its queue
#: into smaller batches: 1,098 commands/s with two, 1,201 with one, decision 5001).
DEFAULT_LANES = 1

_Member = tuple[Sequence[Any], "asyncio.Future[asyncpg.Record]"]


@dataclass
class _Shape:
    """The writes of one statement: how many flights are out, and who waits for the next."""

    in_flight: int = 0
    waiting: deque[_Member] = field(default_factory=deque)


class GroupCommit:
    """Runs one statement's rows, batching the writes that arrive while others are in flight."""

    def __init__(
        self,
        pool: asyncpg.Pool,
        max_batch: int = DEFAULT_MAX_BATCH,
        lanes: int = DEFAULT_LANES,
        lock_waiters: int = DEFAULT_LOCK_WAITERS,
    ) -> None:
        if max_batch < 1 or lanes < 1 or lock_waiters < 1:
            raise ValueError("a batch holds at least one write, and one flies at least")
        self.pool = pool
        self.max_batch = max_batch
        self.lanes = lanes
        #: The writes that wait for a row lock out of the lanes, each on a connection of its own
        #: (bounded: the lanes keep connections of the pool).
        self._lock_waits = asyncio.Semaphore(lock_waiters)
        self._shapes: dict[str, _Shape] = {}
        #: The flights started for queued writes (a reference keeps each task alive).
        self._flights: set[asyncio.Task[None]] = set()
        #: Batches of more than one write sent so far, and their members (tests, benches).
        self.batches = 0
        self.batched_writes = 0
        #: Writes that found a row lock held and ran again out of their lane.
        self.lock_waits = 0

    async def fetchrow(self, sql: str, arguments: Sequence[Any]) -> asyncpg.Record:
        """`sql`'s one row for `arguments`, written alone or in a batch (module docstring)."""
        try:
            attempt = ATTEMPT.get()
            if attempt is not None and attempt.retrying:  # a race's loser: at once (7201)
                return await self.pool.fetchrow(sql, *arguments)
            return await self._in_lane(sql, arguments)
        except asyncpg.LockNotAvailableError:
            # A row lock is held: wait for it off the lane (this caller's task, its deadline).
            self.lock_waits += 1
            async with (
                self._lock_waits,
                self.pool.acquire() as connection,
                connection.transaction(),
            ):
                await connection.execute("SET LOCAL lock_timeout = 0")
                return await connection.fetchrow(sql, *arguments)

    async def _in_lane(self, sql: str, arguments: Sequence[Any]) -> asyncpg.Record:
        shape = self._shapes.get(sql)
        if shape is None:
            shape = self._shapes[sql] = _Shape()
        if self.max_batch == 1 or (shape.in_flight < self.lanes and not shape.waiting):
            shape.in_flight += 1
            try:
                return await self.pool.fetchrow(sql, *arguments)
            finally:
                self._landed(sql, shape)
        attempt = ATTEMPT.get()
        if attempt is not None:
            attempt.queued = True
        future: asyncio.Future[asyncpg.Record] = asyncio.get_running_loop().create_future()
        shape.waiting.append((arguments, future))
        return await future

    def _landed(self, sql: str, shape: _Shape) -> None:
        """A flight of `sql` is back: what queued meanwhile leaves now, as one batch."""
        shape.in_flight -= 1
        batch = self._next_batch(shape)
        if not batch:
            return
        shape.in_flight += 1
        task = asyncio.get_running_loop().create_task(self._fly(sql, shape, batch))
        self._flights.add(task)
        task.add_done_callback(self._flights.discard)

    def _next_batch(self, shape: _Shape) -> list[_Member]:
        batch: list[_Member] = []
        while shape.waiting and len(batch) < self.max_batch:
            member = shape.waiting.popleft()
            if not member[1].done():  # its request was cancelled while it waited: not written
                batch.append(member)
        return batch

    async def _fly(self, sql: str, shape: _Shape, batch: list[_Member]) -> None:
        try:
            if len(batch) == 1:
                await _alone(self.pool, sql, batch[0])
            else:
                await self._together(sql, batch)
        finally:
            self._landed(sql, shape)

    async def _together(self, sql: str, batch: list[_Member]) -> None:
        self.batches += 1
        self.batched_writes += len(batch)
        try:
            rows = await self.pool.fetchmany(sql, [arguments for arguments, _ in batch])
        except asyncio.CancelledError:
            for _, future in batch:
                future.cancel()
            raise
        except Exception as error:
            if _reported(error):
                # The server refused one of them and undid all: each runs alone for its answer.
                await asyncio.gather(*(_alone(self.pool, sql, member) for member in batch))
                return
            for _, future in batch:  # the outcome is unknown: nobody may run twice
                _settle(future, error=error)
            return
        for (_, future), row in zip(batch, rows, strict=True):
            _settle(future, row=row)


def _reported(error: Exception) -> bool:
    """Whether the server answered with an error, so the batch was undone: asyncpg's
    connection errors are `PostgresError`s too, but a lost connection says nothing of a
    commit its Sync may already have asked for."""
    return isinstance(error, asyncpg.PostgresError) and not isinstance(
        error, asyncpg.PostgresConnectionError
    )


async def _alone(pool: asyncpg.Pool, sql: str, member: _Member) -> None:
    arguments, future = member
    try:
        row = await pool.fetchrow(sql, *arguments)
    except Exception as error:
        _settle(future, error=error)
    else:
        _settle(future, row=row)


def _settle(
    future: "asyncio.Future[asyncpg.Record]",
    *,
    row: asyncpg.Record | None = None,
    error: BaseException | None = None,
) -> None:
    if future.done():  # its request was cancelled meanwhile: nobody reads the answer
        return
    if error is not None:
        future.set_exception(error)
    else:
        future.set_result(row)
