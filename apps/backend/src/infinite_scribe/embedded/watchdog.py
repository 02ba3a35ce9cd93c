"""The embedded PostgreSQL's watchdog: a small process that stops the server when `scribe up`
dies, even by kill -9 (issue 21; docs/decisions/2151-postgres-watchdog.md).

pg_ctl starts PostgreSQL as a daemon, so it is not `up`'s child and no parent-death signal
reaches it. The watchdog holds the read end of a pipe whose only write end is `up`'s: a read
returns `q` when `up` stops cleanly (it stops the server itself), or end-of-file when `up` died,
and then the watchdog asks the postmaster named in postmaster.pid for a fast shutdown.

It also holds `pg.watchdog.lock` until the server is down, so the next `up` on the same data
directory waits for it instead of reusing a server that is about to stop.

Standard library only: it runs as `python -m infinite_scribe.embedded.watchdog`.
"""

import argparse
import fcntl
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

LOCK_NAME = "pg.watchdog.lock"
#: How long the postmaster gets for each shutdown mode (fast, immediate) before the next.
STOP_STEP_SECONDS = 10.0


def process_running(pid: int) -> bool:
    """True for a live process; False for none or a zombie."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return True
        return True
    return state not in ("Z", "X")


def postmaster_pid(pgdata: Path) -> int | None:
    try:
        return int((pgdata / "postmaster.pid").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return None


def stop_postgres(pgdata: Path) -> bool:
    """Fast shutdown (SIGINT), then immediate (SIGQUIT), then SIGKILL; True if one was running."""
    pid = postmaster_pid(pgdata)
    if pid is None or not process_running(pid):
        return False
    for signum in (signal.SIGINT, signal.SIGQUIT, signal.SIGKILL):
        try:
            os.kill(pid, signum)
        except ProcessLookupError:
            return True
        deadline = time.monotonic() + STOP_STEP_SECONDS
        while process_running(pid) and time.monotonic() < deadline:
            time.sleep(0.05)
        if not process_running(pid):
            return True
    return True


def wait_for_lock(data_dir: Path, timeout: float = 60.0) -> int:
    """Take `pg.watchdog.lock` (waiting for a previous watchdog to finish); return its fd."""
    data_dir.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(data_dir / LOCK_NAME, os.O_RDWR | os.O_CREAT, 0o600)
    deadline = time.monotonic() + timeout
    while True:
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return descriptor
        except BlockingIOError as busy:
            if time.monotonic() > deadline:
                os.close(descriptor)
                raise TimeoutError(f"{data_dir / LOCK_NAME} still held after {timeout}s") from busy
            time.sleep(0.1)


class Watchdog:
    """The parent's side: `start(pgdata)` before the server starts, `release()` after `up`
    stopped it cleanly."""

    def __init__(self) -> None:
        self._write: int | None = None
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, pgdata: Path) -> None:
        lock = wait_for_lock(pgdata.parent)
        read, write = os.pipe()
        try:
            self.process = subprocess.Popen(
                [sys.executable, "-m", __name__, str(read), str(lock), str(pgdata)],
                pass_fds=(read, lock),
                # Its own session: a Ctrl-C in the terminal goes to `up`, not to the watchdog.
                start_new_session=True,
                stdin=subprocess.DEVNULL,
            )
        finally:
            os.close(read)
            os.close(lock)  # the watchdog's copy holds the lock from now on
        self._write = write

    def release(self) -> None:
        """`up` stopped the server itself: tell the watchdog to exit without acting."""
        write, self._write = self._write, None
        if write is None:
            return
        try:
            os.write(write, b"q")
        finally:
            os.close(write)
        if self.process is not None:
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()  # it has nothing left to do: `up` stopped the server


def main(argv: list[str]) -> None:  # pragma: no cover - runs as its own process
    parser = argparse.ArgumentParser(prog="watchdog")
    parser.add_argument("pipe", type=int)
    parser.add_argument("lock", type=int)
    parser.add_argument("pgdata", type=Path)
    args = parser.parse_args(argv)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    while True:
        try:
            said = os.read(args.pipe, 1)
            break
        except InterruptedError:
            continue
    # End of file: `up` died without stopping the server.
    if said != b"q" and stop_postgres(args.pgdata):
        print(f"watchdog: `scribe up` died; stopped PostgreSQL in {args.pgdata}", file=sys.stderr)
    os.close(args.lock)


if __name__ == "__main__":  # pragma: no cover
    main(sys.argv[1:])
