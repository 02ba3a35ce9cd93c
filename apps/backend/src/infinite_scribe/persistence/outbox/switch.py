"""The outbox switch (decisions 2600, 3500): `scribe outbox logical on|off`, fenced against the
writers so that each of them commits entirely before or entirely after it.

Writers read the mode once per write statement through `scribe_outbox_mode()` (migration 0017),
which holds the switch's advisory lock in shared mode until the writer commits. The switch
takes it exclusively: it waits for the writers in flight, holds the new ones, and updates the
one-row `outbox_mode` table in the same transaction.

On: the publication and the slot are made first (a message emitted with no slot would be
lost), then the fence flips the mode. The rows written before it stay in the table, and the
relay's slot reader queues a key's messages behind that key's unsent rows (relay/slot_source.py),
so a key's messages are published only after its earlier rows are SENT; a FAILED row holds
its key's messages in the table until it is requeued.

Off: under the fence (no writer can emit any more), everything the slot still holds is handed
to the table in slot order, behind the rows already there, and the mode flips in the same
transaction; writers then append rows behind those. A relay streaming the slot is made to let
go of it (its walsender is ended; it may have published some of those messages already:
duplicates, never a gap or an inversion by first delivery). Only after that commit is the slot
advanced past the handed-over messages and dropped, and only if it holds no other message.
"""

import asyncio
from dataclasses import dataclass

import asyncpg

from infinite_scribe.persistence.outbox import slot
from infinite_scribe.persistence.outbox.notifier import notify

#: The advisory lock `scribe_outbox_mode()` shares (migration 0017).
SWITCH_LOCK = 3_500_017
#: How long the switch waits for the writers in flight before it gives up (changing nothing).
LOCK_TIMEOUT = "10s"
#: How long off lets a streaming relay confirm what it published before taking the slot.
SETTLE_SECONDS = 2.0
SETTLE_POLLS = 3
#: How many times off asks a streaming relay to let go of the slot before it gives up.
TAKE_ATTEMPTS = 20

_CONFIRMED_SQL = (
    "SELECT active, confirmed_flush_lsn AS confirmed FROM pg_replication_slots WHERE slot_name = $1"
)
_LET_GO_SQL = (
    "SELECT pg_terminate_backend(active_pid) FROM pg_replication_slots "
    "WHERE slot_name = $1 AND active_pid IS NOT NULL"
)

#: Past the handed-over messages, unless a run before this one got there already.
_ADVANCE_SQL = (
    "SELECT pg_replication_slot_advance($1, $2::pg_lsn) FROM pg_replication_slots "
    "WHERE slot_name = $1 AND confirmed_flush_lsn < $2::pg_lsn"
)


class SwitchRefused(Exception):
    """The switch changed nothing (writers did not finish in time, a relay kept the slot)."""


@dataclass(frozen=True)
class Off:
    #: Messages the slot still held, handed to the table in order.
    handed_over: int
    dropped: bool


async def describe(pool: asyncpg.Pool) -> tuple[str, bool]:
    """The outbox mode in a sentence for the log, and whether it is a warning. A database
    without logical replication (wal_level below logical) keeps the table mode."""
    row = await pool.fetchrow(
        "SELECT (SELECT mode FROM outbox_mode) AS mode, current_setting('wal_level') AS wal, "
        "EXISTS (SELECT 1 FROM pg_replication_slots WHERE slot_name = $1 "
        "AND database = current_database()) AS slot",
        slot.SLOT,
    )
    assert row is not None
    if row["mode"] == "logical" and not row["slot"]:
        return (
            f"outbox mode: logical but the slot {slot.SLOT} is missing: writers' events are not "
            "read; run `scribe outbox logical on` (it makes the slot) or `off`",
            True,
        )
    if row["mode"] == "logical":
        return f"outbox mode: logical (slot {slot.SLOT})", False
    if row["wal"] != "logical":
        return (
            f"outbox mode: table (wal_level is {row['wal']}: this database cannot run the "
            "logical outbox)",
            False,
        )
    return "outbox mode: table (`scribe outbox logical on` switches to the slot)", False


async def switch_on(connection: asyncpg.Connection) -> None:
    """Writers emit messages into the slot from the fence on."""
    if await connection.fetchval("SHOW wal_level") != "logical":
        raise slot.LogicalModeUnavailable(
            "wal_level is not 'logical': set it (ALTER SYSTEM SET wal_level = 'logical') and "
            "restart PostgreSQL"
        )
    await slot.create(connection)  # outside the fence: it waits for running transactions
    async with connection.transaction():
        await _fence(connection)
        await connection.execute(
            "UPDATE outbox_mode SET mode = 'logical', switched_at = now(), handed_over_lsn = NULL"
        )


async def switch_off(connection: asyncpg.Connection) -> Off:
    """Writers append rows from the fence on; the slot's messages go to the table first."""
    if not await slot.slot_exists(connection):
        async with connection.transaction():
            await _fence(connection)
            await connection.execute("UPDATE outbox_mode SET mode = 'table', switched_at = now()")
        return Off(0, dropped=True)
    async with connection.transaction():
        await _fence(connection)
        await _flushed(connection)
        await _settled(connection)
        records = await _take_all(connection)
        done = await connection.fetchval("SELECT handed_over_lsn FROM outbox_mode")
        if done is not None:  # an earlier off handed these over, then stopped before the drop
            records = [r for r in records if r["lsn"] > done]
        messages = slot.messages_of(slot.payloads(records))
        await slot.divert(connection, [slot.Diverted(m) for m in messages], wake=False)
        end = records[-1]["lsn"] if records else done
        await connection.execute(
            "UPDATE outbox_mode SET mode = 'table', switched_at = now(), handed_over_lsn = $1",
            end,
        )
    await notify(connection)
    return Off(len(messages), await _drop(connection, end))


async def _fence(connection: asyncpg.Connection) -> None:
    await connection.execute(f"SET LOCAL lock_timeout = '{LOCK_TIMEOUT}'")
    try:
        await connection.execute("SELECT pg_advisory_xact_lock($1)", SWITCH_LOCK)
    except asyncpg.LockNotAvailableError as error:
        raise SwitchRefused(
            f"writers did not finish within {LOCK_TIMEOUT}: nothing changed, try again"
        ) from error


async def _flushed(connection: asyncpg.Connection) -> None:
    # The writers before the fence may have committed asynchronously (synchronous_commit=off):
    # the slot decodes only flushed WAL, and the WAL writer flushes it within moments.
    target = await connection.fetchval("SELECT pg_current_wal_insert_lsn()")
    while await connection.fetchval("SELECT pg_current_wal_flush_lsn() < $1", target):  # noqa: ASYNC110
        await asyncio.sleep(0.01)


async def _settled(connection: asyncpg.Connection) -> None:
    """Let a relay streaming the slot confirm what it already published (fewer duplicates when
    the rest is handed over): until its confirmed point stays put for `SETTLE_POLLS` polls, at
    most `SETTLE_SECONDS`. Order and completeness never depend on it."""
    last, still = None, 0
    loop = asyncio.get_running_loop()
    deadline = loop.time() + SETTLE_SECONDS
    while still < SETTLE_POLLS and loop.time() < deadline:
        row = await connection.fetchrow(_CONFIRMED_SQL, slot.SLOT)
        if row is None or not row["active"]:
            return
        still = still + 1 if row["confirmed"] == last else 0
        last = row["confirmed"]
        await asyncio.sleep(0.1)


async def _take_all(connection: asyncpg.Connection) -> list[asyncpg.Record]:
    """Every record the slot holds, taken from a relay that streams it if need be."""
    for _ in range(TAKE_ATTEMPTS):
        await connection.execute(_LET_GO_SQL, slot.SLOT)
        try:
            async with connection.transaction():  # a savepoint: a refusal keeps the fence
                return await slot.peek(connection, None)
        except asyncpg.ObjectInUseError:
            await asyncio.sleep(0.05)  # the ended walsender has not let go yet
    raise SwitchRefused("a relay kept streaming the slot: nothing changed, try again")


async def _drop(connection: asyncpg.Connection, end: object) -> bool:
    """Advance the slot past what was handed over; drop it when nothing else is in it."""
    for _ in range(TAKE_ATTEMPTS):
        await connection.execute(_LET_GO_SQL, slot.SLOT)
        try:
            if end is not None:
                await connection.execute(_ADVANCE_SQL, slot.SLOT, end)
            if slot.messages_of(slot.payloads(await slot.peek(connection, 1000))):
                return False  # never dropped with a message in it
            await slot.drop(connection)
            return True
        except asyncpg.ObjectInUseError:
            await asyncio.sleep(0.05)
    return False
