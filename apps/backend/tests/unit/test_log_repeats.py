"""Repeated log lines are thinned (issue 21, item 11): the first of a kind is written, repeats
within the interval are counted, the first after it carries the count."""

import io
import logging

from infinite_scribe.observability.logs import configure_logging
from infinite_scribe.observability.repeats import RepeatFilter
from infinite_scribe.settings.settings import Settings


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def _logger(interval: float, clock: Clock) -> tuple[logging.Logger, io.StringIO]:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(RepeatFilter(interval, clock))
    logger = logging.getLogger(f"repeats-{id(stream)}")
    logger.handlers = [handler]
    logger.propagate = False
    logger.setLevel(logging.INFO)
    return logger, stream


def test_a_flood_becomes_one_line_per_interval_with_its_count() -> None:
    clock = Clock()
    logger, stream = _logger(10.0, clock)
    for attempt in range(480):  # the 480 warnings in 43 s
        clock.now = 100.0 + attempt * 43 / 480
        logger.warning("Connect to 127.0.0.1:%d failed (after %dms)", 9092, attempt)
    lines = stream.getvalue().splitlines()
    assert len(lines) == 5, lines  # at 0, 10, 20, 30, 40 s
    assert "[+" not in lines[0]
    counts = [int(line.split("[+")[1].split()[0]) for line in lines[1:]]
    assert sum(counts) + len(lines) <= 480 and all(count > 100 for count in counts)
    assert lines[1].startswith("Connect to 127.0.0.1:9092 failed")


def test_different_lines_levels_and_exceptions_are_different_kinds() -> None:
    clock = Clock()
    logger, stream = _logger(10.0, clock)
    logger.warning("broker outage")
    logger.warning("relay started")
    logger.error("broker outage")
    logger.warning("broker outage")  # a repeat: left out
    for error in (RuntimeError("boom"), RuntimeError("boom"), OSError("refused")):
        try:
            raise error
        except Exception:
            logger.warning("broker outage", exc_info=True)
    clock.now += 11
    logger.warning("broker outage")
    text = stream.getvalue()
    assert text.count("RuntimeError: boom") == 1 and text.count("OSError: refused") == 1
    lines = [line for line in text.splitlines() if line.startswith("broker") or "started" in line]
    assert lines[:3] == ["broker outage", "relay started", "broker outage"]
    assert lines[-1] == "broker outage [+1 similar in 11.0 s]"


def test_configured_for_every_handler_and_off_with_zero() -> None:
    root = logging.getLogger()
    saved = (list(root.handlers), root.level)
    try:
        for interval, expected in ((10.0, 1), (0.0, 3)):
            stream = io.StringIO()
            settings = Settings(log_format="text", log_repeat_interval_seconds=interval)
            configure_logging(settings, stream)
            for _ in range(3):
                logging.getLogger("librdkafka").warning("FAIL 127.0.0.1:9092: Connection refused")
            assert stream.getvalue().count("Connection refused") == expected
    finally:
        root.handlers[:] = saved[0]
        root.setLevel(saved[1])
