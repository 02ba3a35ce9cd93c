"""CPU-heavy work in a thread, bounded per writer (application/cpu.py)."""

import asyncio
import threading
from uuid import uuid4

import pytest

from infinite_scribe.application.cpu import CpuGate
from infinite_scribe.domain.errors import Busy


async def test_a_writer_past_their_share_is_refused_at_once_and_others_run() -> None:
    gate = CpuGate(total=2, per_user=1)
    writer, other = uuid4(), uuid4()
    started, release = threading.Event(), threading.Event()

    def slow() -> str:
        started.set()
        release.wait()
        return "done"

    first = asyncio.create_task(gate.run(writer, slow))
    await asyncio.to_thread(started.wait)  # the first is running in its thread
    with pytest.raises(Busy):
        await gate.run(writer, str, 1)
    assert await gate.run(other, str, 2) == "2"  # another writer is not held up
    release.set()
    assert await first == "done"
    assert await gate.run(writer, str, 3) == "3"  # the share is free again
