"""The slot reader hands a decoded transaction over only once readers can see it
(persistence/outbox/visibility.py): a consumer that reads the database back must find what the
message's transaction wrote. The window itself (between the commit record's flush and the end of
the commit) cannot be held open from a test; a transaction that has an xid and is still open
stands in for it: the wait must last exactly as long as that transaction runs."""

import asyncio
import struct
import uuid

import asyncpg

from infinite_scribe.persistence.outbox.slot import (
    _LOOK_SQL,
    begun,
    held_keys_once_visible,
    position_of,
)
from infinite_scribe.persistence.outbox.visibility import running, wait_visible


def begin_record(xid: int) -> bytes:
    """pgoutput's BEGIN: 'B', final LSN, commit time, xid."""
    return b"B" + struct.pack(">QqI", 123, 456, xid)


def test_the_xid_and_the_position_are_read_from_the_begin_record() -> None:
    # The position: the commit's LSN + 1 (slot.POSITION_HEADER).
    assert begun(begin_record(4_000_000_123)) == (4_000_000_123, position_of(124))


def test_running_reads_the_snapshot_as_postgresql_does() -> None:
    epoch = 2**32
    assert running("100:105:100,103", [103])  # listed as in progress
    assert running("100:105:100,103", [105])  # at xmax: not yet completed
    assert not running("100:105:100,103", [101, 104, 99])
    # In xmax's epoch (3), and an xid from just before the wraparound in the epoch before.
    assert running(f"{3 * epoch + 5}:{3 * epoch + 9}:{3 * epoch + 7}", [7])
    assert not running(f"{3 * epoch + 5}:{3 * epoch + 9}:", [6, epoch - 2])
    assert running(f"{3 * epoch - 4}:{3 * epoch + 9}:{3 * epoch - 3}", [epoch - 3])


async def test_the_wait_lasts_while_the_transaction_runs(clean_db: asyncpg.Pool) -> None:
    async with clean_db.acquire() as writer, clean_db.acquire() as reader:
        transaction = writer.transaction()
        await transaction.start()
        xid8 = int(await writer.fetchval("SELECT pg_current_xact_id()::text"))
        xid, _ = begun(begin_record(xid8 % 2**32))
        waiting = asyncio.create_task(wait_visible(reader, [xid]))
        try:
            done, _ = await asyncio.wait({waiting}, timeout=0.5)
            assert not done, "handed over while its transaction was still running"
        finally:
            await transaction.commit()
        waited = await asyncio.wait_for(waiting, 5)
        assert waited >= 0.5
        # Committed (and unknown xids): no wait, one look.
        assert await wait_visible(reader, [xid, 0]) < 0.5
        assert await wait_visible(reader, []) == 0.0


async def test_one_look_gives_the_held_keys_once_the_transactions_are_visible(
    clean_db: asyncpg.Pool,
) -> None:
    await clean_db.execute(
        "INSERT INTO event_outbox (event_id, topic, key, payload) VALUES ($1, 't', 'held', '{}')",
        uuid.uuid4(),
    )
    async with clean_db.acquire() as writer, clean_db.acquire() as reader:
        assert await held_keys_once_visible(reader, [], ["held", "free"]) == {"held"}
        assert await held_keys_once_visible(reader, [0], []) == set()
        transaction = writer.transaction()
        await transaction.start()
        xid8 = int(await writer.fetchval("SELECT pg_current_xact_id()::text"))
        checking = asyncio.create_task(held_keys_once_visible(reader, [xid8 % 2**32], ["held"]))
        try:
            done, _ = await asyncio.wait({checking}, timeout=0.5)
            assert not done, "answered while a transaction of the batch was still running"
        finally:
            await transaction.commit()
        assert await asyncio.wait_for(checking, 5) == {"held"}


async def test_no_key_is_held_while_the_table_holds_no_unsent_row(clean_db: asyncpg.Pool) -> None:
    """The first look answers alone when every row was sent; an unsent row of another key
    makes it look the keys up, and only that key's rows hold."""
    await clean_db.execute(
        "INSERT INTO event_outbox (event_id, topic, key, payload, status) "
        "VALUES ($1, 't', 'sent', '{}', 'SENT')",
        uuid.uuid4(),
    )
    async with clean_db.acquire() as reader:
        assert await held_keys_once_visible(reader, [0], ["sent", None]) == set()
        await clean_db.execute(
            "INSERT INTO event_outbox (event_id, topic, key, payload) "
            "VALUES ($1, 't', 'other', '{}')",
            uuid.uuid4(),
        )
        assert await held_keys_once_visible(reader, [], iter(["sent", "other", "x"])) == {"other"}
        assert await held_keys_once_visible(reader, [], []) == set()


async def test_the_first_look_reads_the_unsent_rows_index_whatever_the_statistics(
    clean_db: asyncpg.Pool,
) -> None:
    """Thousands of sent rows and no ANALYZE since: the look still reads the partial index of
    the unsent rows (an EXISTS without the index's order scanned the whole table)."""
    await clean_db.execute(
        "INSERT INTO event_outbox (event_id, topic, key, payload, status) "
        "SELECT gen_random_uuid(), 't', 'k' || (g % 100), '{}', 'SENT' "
        "FROM generate_series(1, 20000) g"
    )
    plan = "\n".join(row[0] for row in await clean_db.fetch("EXPLAIN " + _LOOK_SQL))
    assert "idx_event_outbox_unsent_key" in plan and "Seq Scan" not in plan, plan
