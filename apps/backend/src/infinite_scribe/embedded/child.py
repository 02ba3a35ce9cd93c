"""The children `scribe up` starts beside it (the broker, the model engine): none outlives its
owner, and none is reached by the terminal's Ctrl-C."""

import ctypes
import signal
import subprocess
from collections.abc import Mapping, Sequence
from contextlib import suppress
from typing import IO

_PR_SET_PDEATHSIG = 1
#: Where a child's input or output goes: a file, a pipe, DEVNULL or STDOUT (None: inherited).
Stream = IO[bytes] | int | None


def spawn_child(
    command: Sequence[str],
    dies_by: signal.Signals,
    *,
    stdin: Stream = None,
    stdout: Stream = None,
    stderr: Stream = None,
    env: Mapping[str, str] | None = None,
) -> "subprocess.Popen[bytes]":
    """`command` started (not waited for) with two guards:

    - Linux only: if the launching thread's process dies (even by kill -9) the child gets
      `dies_by`, so it never outlives its owner as an orphan. The signal follows the *thread*
      that forked: start children from a thread that lives as long as the process.
    - A process group of its own: a terminal's Ctrl-C reaches the whole foreground group, and
      `up` handles it, stopping its children in their order (issue 28).

    `env`: the child's whole environment (None: this process's).
    """

    def die_with_parent() -> None:  # pragma: no cover - runs in the child between fork and exec
        with suppress(OSError):
            ctypes.CDLL("libc.so.6", use_errno=True).prctl(_PR_SET_PDEATHSIG, dies_by)

    return subprocess.Popen(
        list(command),
        stdin=stdin,
        stdout=stdout,
        stderr=stderr,
        preexec_fn=die_with_parent,
        process_group=0,
        env=env,
    )


class ChildProcess:
    """A child's handle: its process once spawned, whether it runs, and its stop."""

    _process: "subprocess.Popen[bytes] | None" = None

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process else None

    @property
    def alive(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def _ended(self, timeout: float) -> bool:
        """Stop the process (SIGTERM, then SIGKILL past `timeout`); whether one was running.
        Its port is free when this returns."""
        process, self._process = self._process, None
        if process is None or process.poll() is not None:
            return False
        process.terminate()
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout)
        return True
