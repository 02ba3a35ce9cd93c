"""CPU readers for bench/relay.py: the watched services' processes (with their children) and
the relay's threads by name, from psutil and /proc."""

import contextlib

import psutil

from _services import WATCHED


def cpu_seconds(pid: int) -> float:
    """User + system CPU of a process and its children (PostgreSQL backends are children)."""
    try:
        process = psutil.Process(pid)
        total = sum(process.cpu_times()[:2])
        for child in process.children(recursive=True):
            with contextlib.suppress(psutil.Error):
                total += sum(child.cpu_times()[:2])
        return total
    except psutil.Error:
        return 0.0


def cpu_snapshot() -> dict[str, float]:
    return {name: cpu_seconds(pid) for name, pid in WATCHED.items()}


def thread_cpu(pid: int) -> dict[str, float]:
    """CPU seconds of a process's threads by thread name (the relay: its event loop, the slot
    stream, librdkafka's threads), from /proc."""
    found: dict[str, float] = {}
    with contextlib.suppress(psutil.Error, OSError):
        for thread in psutil.Process(pid).threads():
            with open(f"/proc/{pid}/task/{thread.id}/comm") as comm:
                name = comm.read().strip()
            name = "rdkafka" if name.startswith("rdk:") else name
            found[name] = found.get(name, 0.0) + thread.user_time + thread.system_time
    return found


def per_event(before: dict[str, float], after: dict[str, float], events: int) -> str:
    """`after - before` per event in microseconds, largest first."""
    spent = {name: (after[name] - before.get(name, 0.0)) * 1e6 / events for name in after}
    return ", ".join(
        f"{name} {us:.1f} us" for name, us in sorted(spent.items(), key=lambda kv: -kv[1]) if us
    )
