"""Repeated log lines, thinned out: a broker or database outage makes every client log the same
complaint many times a second (issue 21 counted 480 "broker unreachable" warnings and 1,140
librdkafka lines in 43 s). The first line of a kind is written at once; the same kind again
within the interval is counted, not written; the first one after the interval is written with
the count of those left out (`[+N similar in 10.0 s]`), and opens the next interval.

Two lines are of one kind when their logger and level match and their messages match once
every number is masked (so "after 5005ms" and "after 0ms" are alike), and they carry the same
exception type, if any (asyncpg's pool logs a whole traceback per failed reconnection). uvicorn's
access log (one line per request, by design) is always written.
"""

import logging
import re
import threading
import time
from collections.abc import Callable

_NUMBERS = re.compile(r"\d+")
#: Kinds remembered at most; older ones are forgotten first (each becomes new again).
MAX_KINDS = 1024


class RepeatFilter(logging.Filter):
    """A handler filter; thread-safe (librdkafka logs from its own threads)."""

    def __init__(self, interval: float, clock: Callable[[], float] = time.monotonic) -> None:
        super().__init__()
        self.interval = interval
        self._clock = clock
        # kind -> (start of its interval, lines left out since)
        self._kinds: dict[tuple[str, int, str], tuple[float, int]] = {}
        self._lock = threading.Lock()

    def filter(self, record: logging.LogRecord) -> bool:
        if record.name == "uvicorn.access":
            return True
        error = record.exc_info[0].__name__ if record.exc_info and record.exc_info[0] else ""
        kind = (record.name, record.levelno, _NUMBERS.sub("#", record.getMessage()) + error)
        now = self._clock()
        with self._lock:
            seen = self._kinds.get(kind)
            if seen is not None and now - seen[0] < self.interval:
                self._kinds[kind] = (seen[0], seen[1] + 1)
                return False
            self._kinds.pop(kind, None)
            self._kinds[kind] = (now, 0)
            if len(self._kinds) > MAX_KINDS:
                del self._kinds[next(iter(self._kinds))]
        if seen is not None and seen[1]:
            # The message is formatted here once, with the count of the lines left out.
            record.msg = f"{record.getMessage()} [+{seen[1]} similar in {now - seen[0]:.1f} s]"
            record.args = None
        return True
