"""N copies of a worker command as child processes (`scribe worker --processes N`, issue 27): one
Python process is one core, so a machine's other cores need more processes. Each child is the
same command with `--processes 1` and its own metrics port; they share the work through the
Kafka consumer group (partitions are spread over them). SIGTERM/SIGINT go to every child; when
one child exits, the others are stopped too (the orchestrator restarts the unit as a whole), and
the exit status is the first non-zero one."""

import os
import signal
import subprocess
import time
from collections.abc import Sequence

#: How long the children get to stop after the signal before they are killed.
STOP_SECONDS = 60.0


def child_environment(index: int, metrics_port: int) -> dict[str, str]:
    """The child's environment: its own metrics port next to the configured one (0: any)."""
    port = metrics_port + index if metrics_port else 0
    return os.environ | {"WORKER_METRICS_PORT": str(port)}


def run_children(commands: Sequence[list[str]], environments: Sequence[dict[str, str]]) -> int:
    """Start every command, forward SIGTERM/SIGINT to them, wait; the first non-zero status."""
    children = [
        subprocess.Popen(command, env=env)
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


def _wait_all(children: list["subprocess.Popen[bytes]"]) -> int:
    deadline = time.monotonic() + STOP_SECONDS
    for child in children:
        try:
            child.wait(max(deadline - time.monotonic(), 0.1))
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()
    return next((child.returncode for child in children if child.returncode), 0)
