"""A test still running 60 s past its own timeout (one whose SIGALRM cannot land: the main thread
held in C, or a cleanup after the timeout that waits forever) prints every thread's stack to
stderr: a CI run once stopped at 97 % with nothing printed. pytest's `faulthandler_timeout` is one
figure for all tests, and some allow themselves 30 minutes."""

import faulthandler
import os
from collections.abc import Iterator

import pytest

GRACE_SECONDS = 60
_stderr: list[int] = []  # a copy of the real stderr: during a test, fd 2 is pytest's capture


def pytest_configure(config: pytest.Config) -> None:
    _stderr.append(os.dup(2))  # capture is suspended while plugins configure


def pytest_unconfigure(config: pytest.Config) -> None:
    while _stderr:
        os.close(_stderr.pop())


def _timeout_of(item: pytest.Item) -> float:
    marker = item.get_closest_marker("timeout")
    if marker is not None and marker.args:
        return float(marker.args[0])
    return float(item.config.getini("timeout") or 0)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item: pytest.Item) -> Iterator[None]:
    timeout = _timeout_of(item)
    if timeout > 0 and _stderr:
        faulthandler.dump_traceback_later(timeout + GRACE_SECONDS, file=_stderr[0])
    try:
        yield
    finally:
        faulthandler.cancel_dump_traceback_later()
