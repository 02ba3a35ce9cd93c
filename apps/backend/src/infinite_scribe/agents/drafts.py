"""What the writer sees while the model writes: the text so far, at most one `draft` per
`interval` per generation (the first at once, then the newest text; nothing queues up), and the
final text when the model is done (`flush`). Only while someone follows the session's stream
(`followed`, decision 4002): the text waits meanwhile, and goes out once someone does."""

import asyncio
import time
from collections.abc import Callable
from typing import Any, Protocol

from infinite_scribe.agents.llm.port import DraftText


class DraftSink(Protocol):
    """Where drafts go (`kafka.drafts.DraftPublisher`): fire and forget."""

    def publish(
        self, session_id: str, task_id: str, sequence: int, body: dict[str, Any]
    ) -> None: ...


def sequence_floor() -> int:
    """Where one generation's draft numbers start: the wall clock in microseconds. A task's
    later attempt (the agent's retry, the guard's second draft) has a throttle of its own, and
    the live stream drops a draft numbered at or below the last it sent for the task: numbered
    from 1 again, the retry's drafts were never shown (a chapter's, on the real engine)."""
    return time.time_ns() // 1_000


class DraftThrottle:
    """A provider's `draft` callback for one generation."""

    def __init__(
        self,
        sink: DraftSink,
        session_id: str,
        task_id: str,
        stage: str,
        interval: float,
        extra: dict[str, Any] | None = None,
        followed: Callable[[], bool] | None = None,
    ) -> None:
        self.sink = sink
        #: Whether anyone follows the session now (None: always sent).
        self.followed = followed
        #: More of the body (a chapter's draft says its chapter).
        self.extra = extra or {}
        self.session_id, self.task_id, self.stage = session_id, task_id, stage
        self.interval = interval
        self.sequence = sequence_floor()
        #: The newest text, built only when it is sent (a 10 MB reply in 1 KB chunks must not
        #: be joined per chunk, issue 79).
        self._pending: DraftText | None = None
        self._last = float("-inf")
        self._timer: asyncio.TimerHandle | None = None
        #: Called once by `close` (the follows' registration of `poke`).
        self.on_close: Callable[[], None] | None = None

    def __call__(self, text: DraftText) -> None:
        self._pending = text
        if self._timer is not None:
            return  # the timer sends the newest text when it fires
        wait = self._last + self.interval - asyncio.get_running_loop().time()
        if wait <= 0:
            self._send()
        else:
            self._timer = asyncio.get_running_loop().call_later(wait, self._fire)

    def _fire(self) -> None:
        self._timer = None
        if self._pending is not None:
            self._send()

    def _send(self) -> None:
        assert self._pending is not None
        if self.followed is not None and not self.followed():
            return  # nobody reads it: kept, the next text (or flush) tries again
        self.sequence += 1
        body = {"stage": self.stage, **self.extra, "text": self._pending(), "sent_at": time.time()}
        self.sink.publish(self.session_id, self.task_id, self.sequence, body)
        self._pending = None
        self._last = asyncio.get_running_loop().time()  # the loop's clock: its timers' own

    def poke(self) -> None:
        """The session became followed: the text held back goes out (within the interval)."""
        if self._pending is not None and self._timer is None:
            self(self._pending)

    def flush(self) -> None:
        """The model is done: its final text goes out now (if it has not yet)."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if self._pending is not None:
            self._send()

    def close(self) -> None:
        """The generation is over: nothing more goes out (the proposal event follows)."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        self._pending = None
        if self.on_close is not None:
            self.on_close()
            self.on_close = None
