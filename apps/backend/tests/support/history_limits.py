"""How much of a log the tests' reference reads load (`lineage.py`, `novel_stream.py`): the
bounds the service's folds had, and their refusal, before it read by index (decisions 5402,
5405); the tests show the service now answers where these refuse."""

from dataclasses import dataclass


@dataclass(frozen=True)
class HistoryLimits:
    """Events and bytes of payload one read loads (HistoryTooLarge beyond either)."""

    max_events: int = 5_000
    max_bytes: int = 8 * 1024 * 1024


class HistoryTooLarge(Exception):
    """A log beyond what one fold read: what the service answered 413 with before."""

    def __init__(self, message: str, **details: int) -> None:
        super().__init__(message)
        self.details = details
