"""N copies of a worker command as child processes (`scribe worker --processes N`, issue 27): one
Python process is one core, so a machine's other cores need more processes. Each child is the
same command with `--processes 1` and its own metrics port; they share the work through the
Kafka consumer group (partitions are spread over them). SIGTERM/SIGINT go to every child; when
one child exits, the others are stopped too (the orchestrator restarts the unit as a whole), and
the exit status is the first non-zero one. A child dies with its parent, even a parent killed
with SIGKILL (issue 41, W1): orphans ran beside a restarted unit's own children."""

import ctypes
import os
import signal
import subprocess
import time
from collections.abc import Sequence

#: How long the children get to stop after the signal before they are killed.
STOP_SECONDS = 60.0
_PR_SET_PDEATHSIG = 1


def child_environment(index: int, metrics_port: int) -> dict[str, str]:
    """The child's environment: its own metrics port next to the configured one (0: any)."""
    port = metrics_port + index if metrics_port else 0
    return os.environ | {"WORKER_METRICS_PORT": str(port)}


def run_children(commands: Sequence[list[str]], environments: Sequence[dict[str, str]]) -> int:
    """Start every command, forward SIGTERM/SIGINT to them, wait; the first non-zero status."""
    parent = os.getpid()
    children = [
        subprocess.Popen(command, env=env, preexec_fn=lambda: die_with_parent(parent))
        for command, env in zip(commands, environments, strict=True)
    ]
    stopping = False

    def forward(signum: int, _frame: object) -> None:
        nonlocal stopping
        stopping = True
        for child in children:
            if child.poll() is None:
                child.send_signal(signum)

    previous = {s: signal.signal(s, forward) for s in (signal.SIGTERM, signal.SIGINT)}
    try:
        while all(child.poll() is None for child in children):
            time.sleep(0.2)
        if not stopping:  # one child ended by itself: the rest follow
            forward(signal.SIGTERM, None)
        return _wait_all(children)
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def die_with_parent(parent: int) -> None:  # pragma: no cover - in the child, before exec
    """SIGTERM (the worker's graceful stop) when the parent dies, by any signal. Linux keeps the
    setting across exec; it follows the thread that forked, here the main thread. A parent that
    died before the prctl took effect is seen as a changed parent pid: exit at once."""
    try:
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
    except OSError:
        return  # not Linux (glibc): no parent-death signal to ask for
    libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
    if os.getppid() != parent:
        os._exit(1)


def _wait_all(children: list["subprocess.Popen[bytes]"]) -> int:
    deadline = time.monotonic() + STOP_SECONDS
    for child in children:
        try:
            child.wait(max(deadline - time.monotonic(), 0.1))
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()
    return next((child.returncode for child in children if child.returncode), 0)
