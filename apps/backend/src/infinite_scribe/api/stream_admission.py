"""Admission of live streams (issue 21): how many one user and the whole process may hold open,
kept below the file descriptors the process may open, and how fast a user may mint tickets.

One token could open streams until the process ran out of descriptors (20,500 streams: 20,000
fds, 242 -> 1,031 MB, and every other user's requests timed out for 75 s). Each refusal is a
429 with `Retry-After` and the project's error body; a stream gives its place back when it ends.
"""

import math
import resource
import time
from collections import Counter
from uuid import UUID

from fastapi.responses import JSONResponse

from infinite_scribe.settings.settings import Settings

#: Seconds a client refused a stream is told to wait (streams last minutes, not seconds).
STREAM_RETRY_AFTER = 10
TICKET_WINDOW_SECONDS = 60.0
#: Users whose ticket windows are remembered at once (a bound on the counter's memory).
MAX_TRACKED_USERS = 100_000


class Refused(Exception):
    """A stream or a ticket the limits do not admit; `response()` is its 429."""

    def __init__(self, error_code: str, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.error_code, self.message, self.retry_after = error_code, message, retry_after

    def response(self) -> JSONResponse:
        return JSONResponse(
            {"error_code": self.error_code, "message": self.message},
            status_code=429,
            headers={"Retry-After": str(self.retry_after)},
        )


def descriptor_cap(reserve: int) -> int:
    """Streams the process's RLIMIT_NOFILE leaves room for, `reserve` descriptors kept free."""
    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft == resource.RLIM_INFINITY:
        return 1 << 30
    return max(1, soft - reserve)


class StreamPlace:
    """One admitted stream's place; `release` gives it back (once, however often called)."""

    def __init__(self, admission: "StreamAdmission", user_id: UUID) -> None:
        self._admission, self._user_id = admission, user_id
        self._held = True

    def release(self) -> None:
        if self._held:
            self._held = False
            self._admission.leave(self._user_id)


class StreamAdmission:
    """Counts open streams per user and in total, and ticket mints per user and minute. Used
    from the event loop only: a check and its count happen with no await in between."""

    def __init__(self, per_user: int, total: int, fd_reserve: int, tickets_per_minute: int) -> None:
        self.per_user = per_user
        self.total = min(total, descriptor_cap(fd_reserve))
        self.tickets_per_minute = tickets_per_minute
        self.open_by_user: Counter[UUID] = Counter()
        self.open_total = 0
        self._tickets: dict[UUID, tuple[float, int]] = {}  # user -> (window start, mints)

    @classmethod
    def of(cls, settings: Settings) -> "StreamAdmission":
        return cls(
            settings.stream_max_per_user,
            settings.stream_max_total,
            settings.stream_fd_reserve,
            settings.stream_tickets_per_minute,
        )

    def admit(self, user_id: UUID) -> StreamPlace:
        """A place for one more stream of `user_id`, or Refused."""
        if self.open_total >= self.total:
            raise Refused(
                "TOO_MANY_STREAMS",
                f"The server holds as many live streams as it may ({self.total}); retry later",
                STREAM_RETRY_AFTER,
            )
        if self.open_by_user[user_id] >= self.per_user:
            raise Refused(
                "TOO_MANY_STREAMS",
                f"At most {self.per_user} live streams per user (STREAM_MAX_PER_USER); "
                "close one or retry later",
                STREAM_RETRY_AFTER,
            )
        self.open_by_user[user_id] += 1
        self.open_total += 1
        return StreamPlace(self, user_id)

    def leave(self, user_id: UUID) -> None:
        self.open_total -= 1
        self.open_by_user[user_id] -= 1
        if self.open_by_user[user_id] <= 0:
            del self.open_by_user[user_id]

    def mint(self, user_id: UUID, now: float | None = None) -> None:
        """Count one ticket of `user_id` in its current minute, or Refused past the limit."""
        now = time.monotonic() if now is None else now
        started, count = self._tickets.get(user_id, (now, 0))
        if now - started >= TICKET_WINDOW_SECONDS:
            started, count = now, 0
        if count >= self.tickets_per_minute:
            wait = math.ceil(started + TICKET_WINDOW_SECONDS - now)
            raise Refused(
                "TOO_MANY_TICKETS",
                f"At most {self.tickets_per_minute} stream tickets per minute "
                "(STREAM_TICKETS_PER_MINUTE)",
                max(1, wait),
            )
        if len(self._tickets) >= MAX_TRACKED_USERS and user_id not in self._tickets:
            self._forget_old(now)
        self._tickets[user_id] = (started, count + 1)

    def _forget_old(self, now: float) -> None:
        self._tickets = {
            user: window
            for user, window in self._tickets.items()
            if now - window[0] < TICKET_WINDOW_SECONDS
        }
        if len(self._tickets) >= MAX_TRACKED_USERS:
            self._tickets.clear()  # all recent: forgetting only ever lets a user mint more
