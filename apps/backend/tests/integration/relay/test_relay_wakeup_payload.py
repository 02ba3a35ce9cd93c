"""In the logical mode a commit writes no outbox row: its wake-up says so, and the table relay
does not claim for it (decision 5300); the live streams still wake on it."""

import asyncio
import uuid

import asyncpg

from infinite_scribe.application.ports.writes import Write
from infinite_scribe.persistence.outbox.notifier import OUTBOX_CHANNEL, SLOT_ONLY
from infinite_scribe.persistence.repositories import unit_of_work
from infinite_scribe.persistence.writes.composer import WriteComposer
from infinite_scribe.relay.wakeup import _woken
from shared_types import EventEnvelope
from tests.support.relay import envelope


async def _payload_of_a_commit(pool: asyncpg.Pool) -> str:
    """The payload of the wake-up that follows one command's commit."""
    heard: asyncio.Queue[str] = asyncio.Queue()
    listening = await pool.acquire()

    def hear(*args: object) -> None:
        heard.put_nowait(str(args[3]))

    await listening.add_listener(OUTBOX_CHANNEL, hear)
    uow = unit_of_work(pool, WriteComposer("wakeup-test"))
    try:
        async with uow.transaction() as tx:
            event = EventEnvelope.model_validate(envelope(f"wake-{uuid.uuid4()}", 0))
            await tx.write(Write(events=[event]))
        return await asyncio.wait_for(heard.get(), 5)
    finally:
        await uow.close()
        await listening.remove_listener(OUTBOX_CHANNEL, hear)
        await pool.release(listening)


async def test_a_commit_in_the_logical_mode_wakes_with_slot_only(
    logical_pool: asyncpg.Pool,
) -> None:
    assert await _payload_of_a_commit(logical_pool) == SLOT_ONLY


async def test_a_commit_in_the_table_mode_wakes_the_table_relay(pool: asyncpg.Pool) -> None:
    assert await _payload_of_a_commit(pool) == ""


def test_the_table_relay_wakes_for_rows_only() -> None:
    wake = asyncio.Event()
    _woken(wake, None, 0, OUTBOX_CHANNEL, SLOT_ONLY)
    assert not wake.is_set()
    _woken(wake, None, 0, OUTBOX_CHANNEL, "")  # a write in the table mode, a divert, a requeue
    assert wake.is_set()
