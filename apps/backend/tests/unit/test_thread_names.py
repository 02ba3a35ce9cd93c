"""Threads named for the kernel: a profile by thread tells the relay's loop from its stream."""

import threading
from pathlib import Path

import pytest

from infinite_scribe.observability.thread_names import name_this_thread


def test_a_thread_names_itself_for_the_kernel() -> None:
    comm = Path("/proc/thread-self/comm")
    if not comm.exists():
        pytest.skip("no /proc here")
    seen: list[str] = []

    def named() -> None:
        name_this_thread("outbox-slot-and-more")  # cut at the kernel's 15 bytes
        seen.append(comm.read_text().strip())

    thread = threading.Thread(target=named)
    thread.start()
    thread.join()
    assert seen == ["outbox-slot-and"]
    assert comm.read_text().strip() != "outbox-slot-and"  # this thread kept its own name
