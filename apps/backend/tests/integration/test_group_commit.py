"""Group commit (persistence/writes/group_commit.py, decision 5001) on a real PostgreSQL: writes
that queue behind a flight leave as one transaction, and every member keeps its own outcome."""

import asyncio
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable

import asyncpg
import pytest

from infinite_scribe.application.command_service import CommandService
from infinite_scribe.application.context import RequestContext
from infinite_scribe.application.sessions import GenesisSessions
from infinite_scribe.domain.errors import ScribeError
from infinite_scribe.persistence.database import create_write_pool
from infinite_scribe.persistence.genesis.adapters import PostgresGenesisQueries
from infinite_scribe.persistence.repositories import unit_of_work
from infinite_scribe.persistence.writes.composer import WriteComposer
from infinite_scribe.persistence.writes.group_commit import GroupCommit

#: A member is written with the transaction it ran in; 13 breaks the table's CHECK (a refusal).
_INSERT = (
    "INSERT INTO {table} (n) SELECT $1::int FROM pg_sleep($2::float8) "
    "RETURNING n, txid_current() AS tx"
)


@pytest.fixture
async def table(pool: asyncpg.Pool) -> AsyncIterator[str]:
    name = f"group_commit_probe_{uuid.uuid4().hex[:12]}"
    await pool.execute(f"CREATE TABLE {name} (n int PRIMARY KEY CHECK (n <> 13))")
    try:
        yield name
    finally:
        await pool.execute(f"DROP TABLE {name}")


async def _written(pool: asyncpg.Pool, table: str) -> list[int]:
    return [row["n"] for row in await pool.fetch(f"SELECT n FROM {table} ORDER BY n")]


async def _queued_behind_one(
    group: GroupCommit, sql: str, numbers: list[int], first_sleep: float = 0.3
) -> list[asyncpg.Record | BaseException]:
    """The first number flies alone (sleeping), the rest queue behind it and leave together."""
    first = asyncio.ensure_future(group.fetchrow(sql, [numbers[0], first_sleep]))
    await asyncio.sleep(0.05)  # the first is in flight: the rest queue
    rest = [asyncio.ensure_future(group.fetchrow(sql, [n, 0.0])) for n in numbers[1:]]
    return await asyncio.gather(first, *rest, return_exceptions=True)


async def test_writes_that_queue_leave_as_one_transaction(pool: asyncpg.Pool, table: str) -> None:
    group = GroupCommit(pool, max_batch=16, lanes=1)
    numbers = list(range(20, 40))
    results = await _queued_behind_one(group, _INSERT.format(table=table), numbers)
    rows = [r for r in results if isinstance(r, asyncpg.Record)]
    assert [row["n"] for row in rows] == numbers  # each member its own row
    assert await _written(pool, table) == numbers
    # 19 queued: a batch of 16, then one of 3; each batch is one transaction.
    assert (group.batches, group.batched_writes) == (2, 19)
    transactions = Counter(row["tx"] for row in rows)
    assert sorted(transactions.values()) == [1, 3, 16], transactions


async def test_a_refused_member_gets_its_error_and_the_others_are_written_once(
    pool: asyncpg.Pool, table: str
) -> None:
    group = GroupCommit(pool, max_batch=16, lanes=1)
    results = await _queued_behind_one(group, _INSERT.format(table=table), list(range(1, 21)))
    assert group.batches == 2  # the check below holds for a batch that was refused as a whole
    refused = [r for r in results if isinstance(r, BaseException)]
    assert len(refused) == 1 and isinstance(refused[0], asyncpg.CheckViolationError)
    assert await _written(pool, table) == [n for n in range(1, 21) if n != 13]


async def test_a_batch_whose_backend_is_terminated_is_nobodys_to_run_again(
    pool: asyncpg.Pool, table: str
) -> None:
    """The server ends the batch's connection mid-flight. asyncpg reports that as a lost
    connection, and a termination may land after a commit as well as before one, so the members
    get the loss and none runs again. Here it landed in the first sleep: nothing was written."""
    group = GroupCommit(pool, max_batch=16, lanes=1)
    sql = _INSERT.format(table=table)
    first = asyncio.ensure_future(group.fetchrow(sql, [1, 0.2]))
    await asyncio.sleep(0.05)
    rest = [asyncio.ensure_future(group.fetchrow(sql, [n, 0.5])) for n in range(2, 6)]
    await first  # as it lands the batch leaves: its four sleeps take two seconds
    await asyncio.sleep(0.1)
    assert group.batches == 1
    ended = await pool.fetchval(
        "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
        "WHERE pid <> pg_backend_pid() AND query LIKE $1",
        f"INSERT INTO {table}%",
    )
    assert ended == 1
    results = await asyncio.gather(*rest, return_exceptions=True)
    assert all(isinstance(r, asyncpg.PostgresConnectionError) for r in results), results
    assert await _written(pool, table) == [1]


async def test_a_batch_whose_connection_is_lost_is_nobodys_to_run_again(
    pool: asyncpg.Pool, table: str
) -> None:
    """The client loses the batch's connection mid-flight (no word from the server): the batch
    may still commit (its Sync was sent), so its members get the loss, and none runs again."""
    group = GroupCommit(pool, max_batch=16, lanes=1)
    sql = _INSERT.format(table=table)
    first = asyncio.ensure_future(group.fetchrow(sql, [1, 0.2]))
    await asyncio.sleep(0.05)
    rest = [asyncio.ensure_future(group.fetchrow(sql, [n, 0.3])) for n in range(2, 6)]
    await first
    await asyncio.sleep(0.1)
    assert group.batches == 1
    pid = await pool.fetchval(
        "SELECT pid FROM pg_stat_activity WHERE pid <> pg_backend_pid() AND query LIKE $1",
        f"INSERT INTO {table}%",
    )
    # The pool's own connection object: only the client side may close it here.
    (lost,) = [
        holder._con
        for holder in pool._holders
        if holder._con is not None and holder._con.get_server_pid() == pid
    ]
    lost.terminate()
    results = await asyncio.gather(*rest, return_exceptions=True)
    assert all(isinstance(r, asyncpg.PostgresConnectionError) for r in results), results
    async with pool.acquire() as connection, connection.transaction():
        # Waits for the lost batch's transaction to end (it holds the table's row lock).
        await connection.execute(f"LOCK TABLE {table} IN SHARE MODE")
    assert await _written(pool, table) == [1, 2, 3, 4, 5]  # its commit, each row once


async def test_a_write_cancelled_while_it_waits_is_not_written(
    pool: asyncpg.Pool, table: str
) -> None:
    group = GroupCommit(pool, max_batch=16, lanes=1)
    sql = _INSERT.format(table=table)
    first = asyncio.ensure_future(group.fetchrow(sql, [1, 0.3]))
    await asyncio.sleep(0.05)
    cancelled = asyncio.ensure_future(group.fetchrow(sql, [2, 0.0]))
    kept = asyncio.ensure_future(group.fetchrow(sql, [3, 0.0]))
    await asyncio.sleep(0.01)
    cancelled.cancel()
    await asyncio.gather(first, kept)
    assert cancelled.cancelled()
    assert await _written(pool, table) == [1, 3]


async def test_a_lone_write_waits_for_no_batch(pool: asyncpg.Pool, table: str) -> None:
    group = GroupCommit(pool, max_batch=16, lanes=2)
    sql = _INSERT.format(table=table)
    for n in range(1, 6):
        await group.fetchrow(sql, [n, 0.0])
    assert group.batches == 0
    with pytest.raises(ValueError):
        GroupCommit(pool, max_batch=0)


async def test_commands_batched_together_keep_their_own_outcomes(pool: asyncpg.Pool) -> None:
    """Commands on many sessions, two of them twice at once: with one lane every write after the
    first queues, so they leave in batches; each command answers as it would alone."""
    uow = unit_of_work(pool, WriteComposer("group-commit-test"))
    uow.group.lanes = 1
    queries = PostgresGenesisQueries(pool)
    user = RequestContext(user_id=uuid.uuid4())
    sessions = [(await GenesisSessions(uow, queries).create(user, {}))[0] for _ in range(12)]
    commands = CommandService(uow, queries)
    payload = {"stage": "CONCEPT_SELECTION", "data": {"title": "T"}}

    async def confirm(session_id: uuid.UUID) -> str:
        try:
            result = await commands.execute(user, session_id, "ConfirmStage", payload)
        except ScribeError as error:
            return error.error_code
        return result.status

    twice = [sessions[0].session_id, sessions[1].session_id]
    outcomes = await asyncio.gather(
        *(confirm(s.session_id) for s in sessions), *map(confirm, twice)
    )
    await uow.close()
    assert Counter(outcomes)["COMPLETED"] == 12, outcomes
    assert len(outcomes) == 14 and set(outcomes) - {"COMPLETED"} <= {
        "INVALID_STATE",
        "CONCURRENCY_CONFLICT",
    }
    assert uow.group.batches >= 1
    versions = await pool.fetch(
        "SELECT version, current_stage::text AS stage FROM genesis_sessions WHERE id = ANY($1)",
        [s.session_id for s in sessions],
    )
    assert {(row["version"], row["stage"]) for row in versions} == {(2, "STORY_CONCEPTION")}


#: A member that rewrites row `n` (waiting for its lock when another transaction holds it).
_UPDATE = (
    "UPDATE {table} SET n = n WHERE n = $1::int AND $2::float8 >= 0 "
    "RETURNING n, txid_current() AS tx"
)


async def _lock_waiters(pool: asyncpg.Pool, table: str) -> int:
    """Statements on `table` that wait for a lock now."""
    count = await pool.fetchval(
        "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE $1",
        f"UPDATE {table}%",
    )
    return int(count)


async def _until(condition: Callable[[], Awaitable[bool]]) -> None:
    for _ in range(500):
        if await condition():
            return
        await asyncio.sleep(0.01)
    raise AssertionError("never came true")


async def test_a_write_waiting_for_a_row_lock_holds_no_lane(
    pool: asyncpg.Pool, database_url: str, table: str
) -> None:
    """Issue 71's P2: another transaction holds a row; the write of that row waits for it out of
    the lane, and the writes of its shape queued behind it are written while the row is held."""
    writes = await create_write_pool(database_url, max_size=4)
    group = GroupCommit(writes, max_batch=16, lanes=1)
    await pool.execute(f"INSERT INTO {table} (n) VALUES (1)")
    update = _UPDATE.format(table=table)
    try:
        async with pool.acquire() as holder, holder.transaction():
            await holder.execute(f"SELECT n FROM {table} WHERE n = 1 FOR UPDATE")
            held = asyncio.ensure_future(group.fetchrow(update, [1, 0.0]))
            await _until(lambda: _waiting(group))
            await _until(lambda: _has_waiter(pool, table))
            others = [group.fetchrow(_INSERT.format(table=table), [n, 0.0]) for n in (2, 3, 4)]
            written = await asyncio.gather(*others)
            assert [row["n"] for row in written] == [2, 3, 4] and not held.done()
            assert await _lock_waiters(pool, table) == 1  # the held write, still waiting
        assert (await held)["n"] == 1  # the lock released: written, once
        assert group.lock_waits == 1
    finally:
        await writes.close()
    assert await _written(pool, table) == [1, 2, 3, 4]


async def _waiting(group: GroupCommit) -> bool:
    return group.lock_waits == 1


async def test_a_write_waiting_for_a_row_lock_ends_with_its_request(
    pool: asyncpg.Pool, database_url: str, table: str
) -> None:
    """The write waits in its caller's task: a request's deadline (a cancellation) ends the
    wait, nothing is written, and the next write of the row does not wait for it."""
    writes = await create_write_pool(database_url, max_size=4)
    group = GroupCommit(writes, max_batch=16, lanes=1, lock_waiters=1)
    await pool.execute(f"INSERT INTO {table} (n) VALUES (5)")
    update = _UPDATE.format(table=table).replace("SET n = n", "SET n = n + 100")
    try:
        async with pool.acquire() as holder, holder.transaction():
            await holder.execute(f"SELECT n FROM {table} WHERE n = 5 FOR UPDATE")
            gone = asyncio.ensure_future(group.fetchrow(update, [5, 0.0]))
            await _until(lambda: _waiting(group))
            await _until(lambda: _has_waiter(pool, table))
            gone.cancel()
            await asyncio.gather(gone, return_exceptions=True)
            await _until(lambda: _no_waiter(pool, table))
        # The only lock waiter's turn was given back: the next waits (and writes) in its place.
        assert (await group.fetchrow(update, [5, 0.0]))["n"] == 105
    finally:
        await writes.close()
    assert await _written(pool, table) == [105]


async def _has_waiter(pool: asyncpg.Pool, table: str) -> bool:
    return await _lock_waiters(pool, table) == 1


async def _no_waiter(pool: asyncpg.Pool, table: str) -> bool:
    return await _lock_waiters(pool, table) == 0
