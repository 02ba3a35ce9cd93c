"""CPU-heavy work in a thread, bounded per writer and in all (application/cpu.py): past a bound
a request is refused at once, and a cancelled request keeps its slot until its thread ends."""

import asyncio
import threading
from collections.abc import Iterator
from uuid import uuid4

import pytest

from infinite_scribe.application.cpu import CpuGate
from infinite_scribe.domain.errors import RendersBusy, TooManyRenders


@pytest.fixture
def release() -> Iterator[threading.Event]:
    event = threading.Event()
    yield event
    event.set()  # never leave a thread blocked when a test fails


def _blocking(started: threading.Event, release: threading.Event) -> str:
    started.set()
    release.wait()
    return "done"


async def test_a_writer_past_their_share_is_refused_at_once_and_others_run(
    release: threading.Event,
) -> None:
    gate = CpuGate(total=2, per_user=1)
    writer, other = uuid4(), uuid4()
    started = threading.Event()
    first = asyncio.create_task(gate.run(writer, _blocking, started, release))
    await asyncio.to_thread(started.wait)  # the first is running in its thread
    with pytest.raises(TooManyRenders):
        await gate.run(writer, str, 1)
    assert await gate.run(other, str, 2) == "2"  # another writer is not held up
    release.set()
    assert await first == "done"
    assert await gate.run(writer, str, 3) == "3"  # the share is free again


async def test_a_full_process_refuses_with_busy(release: threading.Event) -> None:
    gate = CpuGate(total=1, per_user=1)
    started = threading.Event()
    first = asyncio.create_task(gate.run(uuid4(), _blocking, started, release))
    await asyncio.to_thread(started.wait)
    with pytest.raises(RendersBusy):
        await gate.run(uuid4(), str, 1)
    release.set()
    await first


async def test_a_cancelled_request_holds_its_slot_until_its_thread_ends(
    release: threading.Event,
) -> None:
    gate = CpuGate(total=1, per_user=1)
    writer, started = uuid4(), threading.Event()
    first = asyncio.create_task(gate.run(writer, _blocking, started, release))
    await asyncio.to_thread(started.wait)
    first.cancel()
    with pytest.raises(asyncio.CancelledError):
        await first
    with pytest.raises(TooManyRenders):  # the thread still runs: its core is still taken
        await gate.run(writer, str, 1)
    release.set()
    # The slot comes back once the thread's future completes on the loop (a loaded machine may
    # take its time to run the thread's end: bounded by 10 s, not by a number of loop turns).
    for _ in range(1000):
        try:
            assert await gate.run(writer, str, 2) == "2"
            return
        except TooManyRenders:
            await asyncio.sleep(0.01)
    raise AssertionError("the slot never came back")
