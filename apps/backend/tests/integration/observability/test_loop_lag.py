"""The loop reports who held it (issue 49): a callback that holds the event loop is logged by
the watchdog while it holds it, with its function's name in the stack; the lag lands in the
histogram of every registry attached; one monitor per loop (in `scribe up`, three processes'
series share one loop)."""

import asyncio
import logging
import re
import threading
import time
import traceback

import pytest
from prometheus_client import CollectorRegistry

from infinite_scribe.runtime.loop_lag import (
    WARN_AFTER,
    LoopLagMonitor,
    SchedStat,
    code_holds,
    holder,
    lag_histogram,
    unwatch_loop,
    watch_loop,
)


def _count(registry: CollectorRegistry, bucket: str | None = None) -> float:
    name = "event_loop_lag_seconds_count" if bucket is None else "event_loop_lag_seconds_bucket"
    labels = {} if bucket is None else {"le": bucket}
    return registry.get_sample_value(name, labels) or 0.0


def hold_the_loop_for_a_while() -> None:
    time.sleep(0.4)  # the point of the test: a handler that blocks the loop


async def test_a_held_loop_is_measured_and_its_holder_named(
    caplog: pytest.LogCaptureFixture,
) -> None:
    api, relay = CollectorRegistry(), CollectorRegistry()
    monitor = watch_loop(lag_histogram(api))
    assert watch_loop(lag_histogram(relay)) is monitor  # one per loop
    try:
        with caplog.at_level(logging.WARNING, logger="infinite_scribe.runtime.loop_lag"):
            await asyncio.sleep(0.12)  # the monitor has timed the loop
            hold_the_loop_for_a_while()
            await asyncio.sleep(0.12)  # it measures the lag of the timer the hold delayed
        warnings = [r.getMessage() for r in caplog.records]
        assert len(warnings) == 1, warnings
        assert "event loop held for" in warnings[0]
        assert "test_loop_lag.py" in warnings[0] and "in hold_the_loop_for_a_while" in warnings[0]
        # One line at INFO and above (issue 77): the holder named, no stack.
        assert "\n" not in warnings[0] and 'File "' not in warnings[0], warnings[0]
        ran, _ = _ran_and_waited(warnings[0])
        assert ran < 100, "a sleep holds the loop without running on a CPU"
        for registry in (api, relay):
            late = _count(registry) - _count(registry, "0.25")
            assert late >= 1, "a lag past 250 ms is in both histograms"
        assert monitor.worst_recent() >= 0.25
    finally:
        unwatch_loop(lag_histogram(api))
        unwatch_loop(lag_histogram(relay))
    assert watch_loop(lag_histogram(api)) is not monitor  # the last one out stopped it
    unwatch_loop(lag_histogram(api))


async def test_the_stack_is_logged_at_debug_only(caplog: pytest.LogCaptureFixture) -> None:
    """The warning names the holder in one line; the stack follows as a DEBUG record, and only
    where DEBUG is on."""
    registry = CollectorRegistry()
    watch_loop(lag_histogram(registry))
    try:
        with caplog.at_level(logging.DEBUG, logger="infinite_scribe.runtime.loop_lag"):
            await asyncio.sleep(0.12)
            hold_the_loop_for_a_while()
            await asyncio.sleep(0.12)
        levels = [(r.levelno, r.getMessage()) for r in caplog.records]
        assert [level for level, _ in levels] == [logging.WARNING, logging.DEBUG], levels
        stack = levels[1][1]
        assert stack.startswith("the stack holding the event loop:\n")
        assert 'File "' in stack and "hold_the_loop_for_a_while" in stack
    finally:
        unwatch_loop(lag_histogram(registry))


def _stack(*places: tuple[str, str]) -> traceback.StackSummary:
    return traceback.StackSummary.from_list(
        [traceback.FrameSummary(path, 1, name, lookup_line=False) for path, name in places]
    )


def test_a_hold_is_the_codes_unless_the_loop_waited() -> None:
    """A WARNING for the code's hold; the machine's (the loop idle in its own poll while its
    thread waited for the GIL or a CPU, or a hold mostly waiting for a CPU) at DEBUG only."""
    handler = _stack(("/app/infinite_scribe/api/routes/x.py", "answer"))
    idle = _stack(
        ("/app/infinite_scribe/cli/up.py", "run_up"),
        ("/usr/lib/python3.11/selectors.py", "select"),
    )
    uvloop_idle = _stack(("/usr/lib/python3.11/asyncio/runners.py", "run"))
    assert code_holds(150, (140, 5), handler)  # it ran
    assert code_holds(150, (1, 2), handler)  # it slept or blocked on I/O
    assert code_holds(150, None, handler)  # no schedstat: it may be the code's
    assert not code_holds(150, (20, 120), handler)  # it waited for a CPU
    assert not code_holds(475, (1, 50), idle)
    assert not code_holds(475, None, uvloop_idle)
    assert code_holds(475, (1, 50), idle, other_ran_ms=400)  # another thread kept the GIL


def test_the_holder_is_one_line_from_the_task_it_runs_in() -> None:
    stack = _stack(
        ("/app/src/infinite_scribe/cli/__main__.py", "<module>"),
        ("/usr/lib/python3.11/asyncio/runners.py", "run"),
        ("/usr/lib/python3.11/asyncio/events.py", "_run"),
        ("/app/src/infinite_scribe/composition/agents.py", "run_agent_worker"),
        ("/app/src/infinite_scribe/agents/llm/prompts.py", "build"),
        ("/venv/lib/python3.11/site-packages/jieba/__init__.py", "cut"),
    )
    assert holder(stack) == (
        "infinite_scribe/agents/llm/prompts.py:1 in build (jieba/__init__.py:1 in cut), "
        "from infinite_scribe/composition/agents.py:1 in run_agent_worker"
    )


def add_up_without_letting_go(summed: threading.Event, done: threading.Event, numbers: int) -> None:
    # sum() over a range runs in C with no bytecode boundary: it keeps the GIL to the end. It
    # holds again until the test has seen the warning (up to HOLDS): the watchdog warns of one
    # only if it takes the GIL before the loop's thread when it ends (which one does is the OS's
    # choice), and the hold must be CPU time: on a loaded machine a thread waiting for a core
    # ran less than WARN_AFTER of it (a full `make test`, stop 88).
    for _ in range(HOLDS):
        sum(range(numbers))
        if done.is_set():
            break
    summed.set()
    done.wait(5)  # alive while the watchdog looks (as a pool's thread is)


#: How often the thread keeps the GIL in a row at the most (each a chance for the watchdog).
HOLDS = 20


def numbers_summed_in(seconds: float) -> int:
    """How many numbers sum() adds in about `seconds` of this thread's CPU here: a fixed count
    held the GIL 79 ms on a quiet machine (under WARN_AFTER: no hold to name) and 200 ms on a
    busy one. Measured by the clock on the wall, a loaded machine's calibration gave holds of
    less CPU than WARN_AFTER (the watchdog names a thread by its CPU): the test failed once in
    a full run (stop 91)."""
    started = time.thread_time()
    sum(range(1_000_000))
    return int(1_000_000 * seconds / max(time.thread_time() - started, 1e-6))


async def test_a_thread_that_keeps_the_gil_is_named(caplog: pytest.LogCaptureFixture) -> None:
    """The loop's thread waiting for the GIL another thread keeps: the warning names the
    thread, how long it ran and where (issue 77)."""
    if SchedStat.of_this_thread().read() is None:
        pytest.skip("no /proc/<pid>/task/<tid>/schedstat here")
    registry = CollectorRegistry()
    watch_loop(lag_histogram(registry))
    try:
        with caplog.at_level(logging.DEBUG, logger="infinite_scribe.runtime.loop_lag"):
            await asyncio.sleep(0.12)
            done, summed = threading.Event(), threading.Event()
            numbers = numbers_summed_in(2 * WARN_AFTER)
            thread = threading.Thread(
                target=add_up_without_letting_go, args=(summed, done, numbers), name="adder"
            )
            thread.start()
            for _ in range(600):  # 30 s at the most: the holds end sooner
                if summed.is_set() or _named(caplog):
                    break
                await asyncio.sleep(0.05)
            await asyncio.sleep(0.1)
            done.set()
            await asyncio.to_thread(thread.join)
        held = [r.getMessage() for r in caplog.records if "event loop held" in r.getMessage()]
        # Its level depends on the machine's load (how long the loop waited for a CPU).
        assert [m for m in held if "meanwhile thread adder ran" in m], held
    finally:
        unwatch_loop(lag_histogram(registry))


async def test_the_watchdog_has_ended_when_the_last_histogram_is_detached() -> None:
    """A watchdog still running after its owner had gone logged to a closed stream ("--- Logging
    error ---", a test's captured log, at the end of a full run)."""
    histogram = lag_histogram(CollectorRegistry())
    monitor = watch_loop(histogram)
    await asyncio.sleep(0.12)
    assert monitor._watchdog.is_alive()
    unwatch_loop(histogram)
    assert not monitor._watchdog.is_alive()


def _named(caplog: pytest.LogCaptureFixture) -> bool:
    return any("meanwhile thread adder ran" in r.getMessage() for r in caplog.records)


def _ran_and_waited(warning: str) -> tuple[float, float]:
    found = re.search(r"it ran (\d+) ms and waited (\d+) ms for a CPU", warning)
    assert found, warning
    return float(found[1]), float(found[2])


def spin_on_the_loop() -> None:
    ends = time.thread_time() + 0.3
    while time.thread_time() < ends:  # the point of the test: a handler that computes
        pass


async def test_a_hold_says_how_long_the_loop_ran_on_a_cpu(caplog: pytest.LogCaptureFixture) -> None:
    """Computing on the loop is told from waiting for a CPU: the warning says both."""
    registry = CollectorRegistry()
    watch_loop(lag_histogram(registry))
    try:
        # At DEBUG: on a loaded machine a spin that mostly waited for a CPU is the machine's.
        with caplog.at_level(logging.DEBUG, logger="infinite_scribe.runtime.loop_lag"):
            await asyncio.sleep(0.12)
            spin_on_the_loop()
            await asyncio.sleep(0.12)
        held = [r.getMessage() for r in caplog.records]
        (warning,) = [message for message in held if message.startswith("event loop held")]
        ran, _ = _ran_and_waited(warning)
        # The warning comes at the first look past WARN_AFTER: on a loaded machine part of the
        # hold went waiting for a CPU (CI: ran 95 and waited 52 ms of 117 held), so how much
        # it ran is not fixed; that the clause counts CPU time exactly is the next test's.
        assert ran > 0, warning
        assert "spin_on_the_loop" in warning
    finally:
        unwatch_loop(lag_histogram(registry))


def test_schedstat_counts_the_cpu_time_the_thread_spent() -> None:
    """The warning's "ran" is the thread's CPU time: the same clock as `time.thread_time`."""
    sched = SchedStat.of_this_thread()
    before = sched.read()
    if before is None:
        pytest.skip("no /proc/<pid>/task/<tid>/schedstat here")
    spent = time.thread_time()
    spin_on_the_loop()
    spent = (time.thread_time() - spent) * 1000
    ran, waited = _ran_and_waited(sched.words(sched.spent(before)))
    # /proc reads a running thread's total as of its last tick: up to one tick (4 ms) behind.
    assert spent - 10 <= ran <= spent + 10 and waited >= 0


async def test_the_watchdogs_own_start_is_no_hold(caplog: pytest.LogCaptureFixture) -> None:
    """A full run's load held `Thread.start` 182 ms, and the watchdog reported that wait as a
    hold of the loop: the watch begins when it is started. The monitor is made, then started
    300 ms later (the wait a slow start is), on a loop doing nothing."""
    monitor = LoopLagMonitor(asyncio.get_running_loop())
    # Between the monitor's making and its start, as Thread.start can hold the loop.
    time.sleep(0.3)  # noqa: ASYNC251 - the hold is the point
    try:
        with caplog.at_level(logging.DEBUG, logger="infinite_scribe.runtime.loop_lag"):
            monitor.start()
            await asyncio.sleep(0.3)
        held = [r.getMessage() for r in caplog.records if "event loop held" in r.getMessage()]
        assert held == []
    finally:
        monitor.stop()
