"""The loop reports who held it (issue 49): every process measures its event loop's lag (a
timer that should fire every INTERVAL, observed into an `event_loop_lag_seconds` histogram of
each registry attached) and a watchdog thread that, when the loop has not come back for
WARN_AFTER, logs a one-line warning naming the code holding it (the route's or task's function,
by file and line; issue 77) and, at DEBUG, the stack. asyncio's debug mode says which callback
was slow only afterwards and costs on every callback; aiodebug's idea (a thread watching a
heartbeat) costs one timer per INTERVAL.

One monitor per loop: in `scribe up` the API, the relay and the agent worker share a loop, and
each attaches its own histogram to the same monitor (one measurement, one warning).

A loop is also late when its process waits for a CPU (two cores shared with a database): the
warning says how much of the time since the last beat the loop's thread ran and how much it
waited for a CPU (Linux's schedstat), so a reader tells the code's hold from the machine's."""

import asyncio
import contextlib
import logging
import os
import sys
import threading
import time
import traceback
import weakref
from collections import deque
from types import FrameType

from prometheus_client import CollectorRegistry, Histogram

logger = logging.getLogger(__name__)

#: How often the loop is asked to come back (seconds).
INTERVAL = 0.05
#: A loop held longer than this is logged with what holds it.
WARN_AFTER = 0.1
#: The lag buckets: a healthy loop lives in the first two.
BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
#: How far back `worst_recent` looks (seconds).
RECENT_SECONDS = 60.0


_HISTOGRAMS: "weakref.WeakKeyDictionary[CollectorRegistry, Histogram]" = weakref.WeakKeyDictionary()


def lag_histogram(registry: CollectorRegistry) -> Histogram:
    """The registry's `event_loop_lag_seconds` (made once per registry)."""
    histogram = _HISTOGRAMS.get(registry)
    if histogram is None:
        histogram = _HISTOGRAMS[registry] = Histogram(
            "event_loop_lag_seconds",
            "How late the event loop ran a timer due every 50 ms (its lag)",
            buckets=BUCKETS,
            registry=registry,
        )
    return histogram


class LoopLagMonitor:
    """The lag of one loop, into every attached histogram; the watchdog's warnings."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.histograms: list[Histogram] = []
        self._sched = SchedStat.of_this_thread()
        #: When the loop last came back, and its thread's schedstat then (set together).
        self._beat: tuple[float, tuple[int, int] | None] = (time.monotonic(), self._sched.read())
        self._recent: deque[tuple[float, float]] = deque()
        self._task: asyncio.Task[None] | None = None
        self._stopped = threading.Event()
        self._watchdog = threading.Thread(target=self._watch, name="loop-lag-watchdog", daemon=True)
        self._loop_thread = threading.get_ident()

    def attach(self, histogram: Histogram) -> None:
        if histogram not in self.histograms:
            self.histograms.append(histogram)

    def start(self) -> None:
        if self._task is not None:
            return
        self._task = self.loop.create_task(self._measure(), name="loop-lag")
        self._watchdog.start()
        # The watch begins now: `Thread.start` holds this thread until the new one runs (182 ms
        # on a loaded machine, found in a full run), and that wait is the watchdog's own, not a
        # hold to report.
        self._beat = (time.monotonic(), self._sched.read())

    def stop(self) -> None:
        """Stop measuring, and wait for the watchdog (at most its INTERVAL, and a warning it is
        writing): one that logged after its owner had gone wrote to a closed stream (a test's
        captured log, at the end of a full run)."""
        self._stopped.set()
        if self._task is not None:
            self._task.cancel()
        if self._watchdog.is_alive():
            self._watchdog.join(timeout=1.0)

    def worst_recent(self) -> float:
        """The largest lag seen in the last RECENT_SECONDS (seconds)."""
        return max((lag for _, lag in self._recent), default=0.0)

    async def _measure(self) -> None:
        with contextlib.suppress(asyncio.CancelledError):
            while True:
                started = time.monotonic()
                await asyncio.sleep(INTERVAL)
                now = time.monotonic()
                self._beat = (now, self._sched.read())
                self._record(now, max(0.0, now - started - INTERVAL))

    def _record(self, now: float, lag: float) -> None:
        for histogram in self.histograms:
            histogram.observe(lag)
        self._recent.append((now, lag))
        while self._recent and self._recent[0][0] < now - RECENT_SECONDS:
            self._recent.popleft()

    def _watch(self) -> None:
        """On its own thread: a loop that missed its beat by WARN_AFTER is logged once per
        stall, with the stack of what holds it."""
        reported = 0.0
        others = OtherThreads(self._loop_thread)
        while not self._stopped.wait(INTERVAL):
            beat, sched = self._beat
            late = time.monotonic() - beat - INTERVAL
            if late < WARN_AFTER:
                others.mark()  # the loop is on time: the other threads' times from here
                continue
            if beat == reported:
                continue
            reported = beat
            # Read with `late`: formatting the stack takes the GIL many times, and the loop's
            # thread runs on meanwhile.
            spent = self._sched.spent(sched)
            busiest = others.busiest()
            frame = sys._current_frames().get(self._loop_thread)
            frames = traceback.extract_stack(frame) if frame is not None else None
            other = _other_thread(late * 1000, spent, busiest)
            codes = code_holds(late * 1000, spent, frames, busiest[1] if other and busiest else 0)
            logger.log(
                logging.WARNING if codes else logging.DEBUG,
                "event loop held for %.0f ms so far%s, by %s%s",
                late * 1000,
                SchedStat.words(spent),
                holder(frames) if frames else "?",
                other,
            )
            # The stack for whoever looks into it: a terminal at INFO reads one line (issue 77).
            if frame is not None and logger.isEnabledFor(logging.DEBUG):
                logger.debug("the stack holding the event loop:\n%s", holding_stack(frame))


def _other_thread(
    late_ms: float, spent: tuple[float, float] | None, busiest: tuple[str, float, str] | None
) -> str:
    """`; meanwhile thread NAME ran R ms, at HOLDER` when the loop's thread ran for less than
    half the hold and another Python thread of the process ran WARN_AFTER or more: the thread
    that kept the GIL, most likely (issue 77)."""
    if spent is None or busiest is None or spent[0] >= late_ms / 2:
        return ""
    name, ran, where = busiest
    if ran < WARN_AFTER * 1000:
        return ""
    return f"; meanwhile thread {name} ran {ran:.0f} ms, at {where}"


class OtherThreads:
    """The CPU time of the process's other Python threads since the loop was last on time."""

    def __init__(self, loop_thread: int) -> None:
        self._loop_thread = loop_thread
        self._stats: dict[int, SchedStat] = {}
        self._marked: dict[int, tuple[int, int] | None] = {}

    def _threads(self) -> dict[int, threading.Thread]:
        me = threading.get_ident()
        return {
            thread.ident: thread
            for thread in threading.enumerate()
            if thread.ident not in (None, me, self._loop_thread) and thread.native_id
        }

    def mark(self) -> None:
        threads = self._threads()
        for ident in set(self._stats) - set(threads):
            del self._stats[ident]  # ended: its fd closes with it
        for ident, thread in threads.items():
            if ident not in self._stats:
                assert thread.native_id is not None
                self._stats[ident] = SchedStat.of(thread.native_id)
        self._marked = {ident: stat.read() for ident, stat in self._stats.items()}

    def busiest(self) -> tuple[str, float, str] | None:
        """(name, ms on a CPU since the mark, where it is now) of the thread that ran most."""
        threads = self._threads()
        ran = []
        for ident, thread in threads.items():
            if ident not in self._stats and thread.native_id is not None:
                self._stats[ident] = SchedStat.of(thread.native_id)
            # A thread started since the mark ran all its time in the hold.
            spent = self._stats[ident].spent(self._marked.get(ident, (0, 0)))
            if spent is not None:
                ran.append((spent[0], ident))
        if not ran:
            return None
        most, ident = max(ran)
        frame = sys._current_frames().get(ident)
        where = holder(traceback.extract_stack(frame)) if frame is not None else "?"
        return threads[ident].name, most, where


def code_holds(
    late_ms: float,
    spent: tuple[float, float] | None,
    frames: traceback.StackSummary | None,
    other_ran_ms: float = 0.0,
) -> bool:
    """Whether a hold is the code's (a WARNING) rather than the machine's (DEBUG; issue 77): a
    hold mostly spent waiting for a CPU is the machine's, and so is the loop idle in its own
    poll, unless another thread of ours ran meanwhile (it kept the GIL); the lag histogram
    counts both."""
    if spent is not None and spent[1] >= late_ms / 2:
        return False
    if frames and _idle(frames[-1]):
        return other_ran_ms >= WARN_AFTER * 1000
    return True


def _idle(entry: traceback.FrameSummary) -> bool:
    """The loop's own waiting: asyncio's selector, or the caller of uvloop's loop (in C)."""
    path = entry.filename.replace("\\", "/")
    return path.endswith("/selectors.py") or (
        path.endswith("/asyncio/runners.py") and entry.name in ("run", "run_until_complete")
    )


class SchedStat:
    """One thread's time on a CPU and waiting for one (nanoseconds), from Linux's
    /proc/<pid>/task/<tid>/schedstat (1 us a read); elsewhere it knows nothing."""

    def __init__(self, fd: int | None) -> None:
        self._fd = fd
        if fd is not None:  # closed when neither the loop's task nor the watchdog reads it
            weakref.finalize(self, os.close, fd)

    @classmethod
    def of_this_thread(cls) -> "SchedStat":
        return cls.of(threading.get_native_id())

    @classmethod
    def of(cls, native_id: int) -> "SchedStat":
        path = f"/proc/self/task/{native_id}/schedstat"
        try:
            return cls(os.open(path, os.O_RDONLY))
        except OSError:
            return cls(None)

    def read(self) -> tuple[int, int] | None:
        if self._fd is None:
            return None
        try:
            running, waiting, _ = os.pread(self._fd, 100, 0).split()
        except (OSError, ValueError):
            return None
        return int(running), int(waiting)

    def spent(self, before: tuple[int, int] | None) -> tuple[float, float] | None:
        """Milliseconds (on a CPU, waiting for one) since `before`, or None where unknown."""
        now = self.read()
        if before is None or now is None:
            return None
        return (now[0] - before[0]) / 1e6, (now[1] - before[1]) / 1e6

    @staticmethod
    def words(spent: tuple[float, float] | None) -> str:
        if spent is None:
            return ""
        ran, waited = spent
        return f"; since its last beat it ran {ran:.0f} ms and waited {waited:.0f} ms for a CPU"


def holder(frames: traceback.StackSummary) -> str:
    """The holder in one line: the innermost of the project's own frames (what holds it), the
    innermost frame of all where that is elsewhere (the library call), and the outermost own
    frame (the route's middleware, the task, `lifespan`) it runs under:
    `infinite_scribe/agents/llm/offline/story.py:88 in write (jieba/__init__.py:301 in cut), from
    infinite_scribe/composition/agents.py:50 in run_agent_worker`."""
    # The loop's own frames end where the callback or task runs: "from" names its first own
    # frame (the task, the route's middleware, `lifespan`), not the command that ran the loop.
    start = max((i for i, entry in enumerate(frames) if _loop_frame(entry)), default=-1) + 1
    own = [entry for entry in frames[start:] if "infinite_scribe" in entry.filename]
    own = own or [entry for entry in frames if "infinite_scribe" in entry.filename]
    innermost = frames[-1]
    if not own:
        return _place(innermost)
    line = _place(own[-1])
    if own[-1] is not innermost:
        line += f" ({_place(innermost)})"
    if own[0] is not own[-1]:
        line += f", from {_place(own[0])}"
    return line


def _loop_frame(entry: traceback.FrameSummary) -> bool:
    """A frame of asyncio's loop itself (what runs callbacks and tasks)."""
    path = entry.filename.replace("\\", "/")
    return path.endswith(("/asyncio/events.py", "/asyncio/base_events.py", "/asyncio/runners.py"))


def _place(entry: traceback.FrameSummary) -> str:
    """`infinite_scribe/<folder>/<module>:<line> in <function>` (the path from the package or from
    site-packages; a file elsewhere by its name)."""
    path = entry.filename
    if "/infinite_scribe/" in path:
        path = "infinite_scribe/" + path.rsplit("/infinite_scribe/", 1)[1]
    elif "/site-packages/" in path:
        path = path.rsplit("/site-packages/", 1)[1]
    else:
        path = os.path.basename(path)
    return f"{path}:{entry.lineno} in {entry.name}"


def holding_stack(frame: FrameType) -> str:
    """What holds the loop: the project's own frames (they name the route, middleware or
    task: `api/app.py ... lifespan`, `api/command_route.py`), then the innermost few (the
    library call that takes the time)."""
    frames = traceback.extract_stack(frame)
    own = [entry for entry in frames[:-INNERMOST] if "infinite_scribe" in entry.filename]
    shown = traceback.StackSummary.from_list([*own[-OWN_FRAMES:], *frames[-INNERMOST:]])
    return "".join(shown.format())


#: Frames of the warning: the project's outermost-to-innermost, then the innermost of all.
OWN_FRAMES = 8
INNERMOST = 6

_MONITORS: dict[int, LoopLagMonitor] = {}


def watch_loop(histogram: Histogram) -> LoopLagMonitor:
    """The running loop's monitor (started on first use), `histogram` attached to it."""
    loop = asyncio.get_running_loop()
    monitor = _MONITORS.get(id(loop))
    if monitor is None or monitor.loop is not loop or monitor.loop.is_closed():
        monitor = _MONITORS[id(loop)] = LoopLagMonitor(loop)
        monitor.start()
    monitor.attach(histogram)
    return monitor


def unwatch_loop(histogram: Histogram) -> None:
    """Detach `histogram`; the last one out stops the running loop's monitor."""
    loop = asyncio.get_running_loop()
    monitor = _MONITORS.get(id(loop))
    if monitor is None or monitor.loop is not loop:
        return
    with contextlib.suppress(ValueError):
        monitor.histograms.remove(histogram)
    if not monitor.histograms:
        monitor.stop()
        del _MONITORS[id(loop)]
