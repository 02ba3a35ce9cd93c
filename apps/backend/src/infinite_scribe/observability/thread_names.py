"""The kernel's name of the calling thread (`top -H`, `ps -L`, /proc/<pid>/task/<tid>/comm): a
Python thread's name stays Python's, so a profile of the relay by thread showed one "python" for
its event loop and its slot stream alike (bench/relay.py reads CPU per thread by this name)."""

import contextlib


def name_this_thread(name: str) -> None:
    """Name the calling thread for the kernel (15 bytes at most; nothing where /proc is not)."""
    with contextlib.suppress(OSError), open("/proc/thread-self/comm", "w") as comm:
        comm.write(name[:15])
