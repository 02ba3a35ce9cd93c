"""A process's Python time by function over a window of a bench (issue 80): py-spy attached to
the running process for the window only (no start-up, no warm-up in it), on-CPU samples only
(py-spy leaves idle threads out), stacks folded by function."""

import contextlib
import re
import shutil
import signal
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

#: Samples per second.
RATE = 200


@dataclass
class Samples:
    """Sampled stacks of one process: frames' own and inclusive sample counts."""

    total: int = 0
    own: Counter[str] = field(default_factory=Counter)
    inclusive: Counter[str] = field(default_factory=Counter)

    def ms_per(self, samples: int, units: int) -> float:
        return samples * 1000 / RATE / max(units, 1)


def _py_spy() -> str | None:
    beside = Path(sys.executable).with_name("py-spy")
    return str(beside) if beside.exists() else shutil.which("py-spy")


@contextlib.contextmanager
def sampled(pid: int, out: Path) -> Iterator[Samples]:
    """py-spy on `pid` inside the block; the samples are filled on exit (empty without py-spy
    or when it cannot attach)."""
    found = Samples()
    tool = _py_spy()
    if tool is None:
        print("py-spy not installed: no Python profile", flush=True)
        yield found
        return
    command = [tool, "record", "--pid", str(pid), "--rate", str(RATE), "--function"]
    command += ["--nonblocking", "--threads", "--format", "raw", "--output", str(out)]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        yield found
    finally:
        process.send_signal(signal.SIGINT)  # py-spy writes what it sampled on Ctrl-C
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            process.kill()
        if out.exists():
            fold(out.read_text(), found)
        else:
            error = process.stderr.read().decode() if process.stderr else ""
            print(f"py-spy wrote nothing for pid {pid}: {error.strip()[:300]}", flush=True)


def fold(raw: str, into: Samples) -> None:
    """py-spy's raw format: `frame;frame;... count` per stack, outermost first (the thread
    first with --threads); a frame is `function (file)`."""
    for line in raw.splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        samples = int(count)
        frames = [_short(frame) for frame in stack.split(";")]
        into.total += samples
        into.own[frames[-1]] += samples
        for frame in set(frames):
            into.inclusive[frame] += samples


def _short(frame: str) -> str:
    """`name (path/to/site-packages/pkg/mod.py)` -> `name (pkg/mod.py)`."""
    name, _, path = frame.partition(" (")
    path = path.rstrip(")")
    for marker in ("site-packages/", "src/", "lib/python3.11/"):
        if marker in path:
            path = path.split(marker, 1)[1]
            break
    return f"{name} ({path})" if path else name


def table(title: str, samples: Samples, units: int, rows: int = 14) -> list[str]:
    """Markdown rows: the busiest functions, own and inclusive, in ms per unit."""
    lines = [
        f"{title}: {samples.ms_per(samples.total, units):.3f} ms of sampled Python CPU per unit "
        f"({samples.total} samples at {RATE} Hz, {units} units)",
        "| function | own ms/unit | inclusive ms/unit |",
        "| --- | --- | --- |",
    ]
    for frame, own in samples.own.most_common(rows):
        own_ms, inclusive_ms = (
            samples.ms_per(own, units),
            samples.ms_per(samples.inclusive[frame], units),
        )
        lines.append(f"| `{frame}` | {own_ms:.3f} | {inclusive_ms:.3f} |")
    lines += ["", "the project's functions, inclusive:", "| function | ms/unit |", "| --- | --- |"]
    ours = [
        (frame, n)
        for frame, n in samples.inclusive.most_common()
        if "infinite_scribe/" in frame and not _WRAPPERS.search(frame)
    ]
    for frame, inclusive in ours[:rows]:
        lines.append(f"| `{frame}` | {samples.ms_per(inclusive, units):.3f} |")
    return lines


#: Frames every sample of a process passes through (its entry point and serving loop).
_WRAPPERS = re.compile(r"infinite_scribe/(cli/|runtime/worker\.py|composition/)")
