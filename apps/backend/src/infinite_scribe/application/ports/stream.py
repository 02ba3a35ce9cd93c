"""Ports of the live event stream: the feed of committed events (one per API process) and the
single-use stream tickets."""

from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol
from uuid import UUID


@dataclass(frozen=True, slots=True)
class StreamEvent:
    """A committed domain event, JSON-encoded once and shared by every client that gets it."""

    id: int
    session_id: str
    data: bytes
    #: The event's type ("" when not encoded): a follower's stream ends after a trash event.
    event_type: str = ""


@dataclass(frozen=True, slots=True)
class TaskProgress:
    """A task's latest status and progress (state, not history: it carries no event id)."""

    task_id: UUID
    session_id: str
    #: What a client compares to skip a repeat: (status, progress, message).
    signature: tuple[str, str, str]
    data: bytes


@dataclass(frozen=True, slots=True)
class Draft:
    """What a model has written so far for a task: ephemeral (not an event, never stored), the
    latest one per session replaces the ones before it."""

    session_id: str
    task_id: str
    sequence: int
    #: The JSON object the stream sends as the `draft` event's data.
    data: bytes


class DraftSource(Protocol):
    """Drafts of every session as the agent workers publish them (any API process may serve
    any writer, so each one hears them all)."""

    def start(self, deliver: Callable[[Draft], None]) -> None:
        """Begin calling `deliver` on the event loop for each draft from now on."""
        ...

    async def stop(self) -> None: ...


class StreamFollows(Protocol):
    """Which live streams someone has open, across API processes (decision 4002): the API
    records the streams it serves, a worker sends drafts only to followed ones."""

    async def record(self, streams: Collection[str], ttl_seconds: float) -> None:
        """These streams are followed for `ttl_seconds` from now (ids as text)."""
        ...

    async def followed(self, streams: Collection[str]) -> set[str]:
        """Those of `streams` someone follows now."""
        ...


@dataclass(frozen=True, slots=True)
class FeedWake:
    """Why the feed woke: new commits (events), a catch-up of every followed session's tasks
    (tasks: the first wake, and after a reconnect), or neither (the poll timer)."""

    events: bool
    tasks: bool


class EventFeed(Protocol):
    """Committed events in `domain_events.id` order with no gap: an id is handed out only once
    every id below it is committed or known never to commit."""

    async def open(self) -> int:
        """Start listening; return the first safe horizon (every id <= it is settled)."""
        ...

    async def wait(self, at_most: float) -> FeedWake:
        """Until a commit is announced or `at_most` seconds pass."""
        ...

    async def advance(self, limit: int, sessions: Collection[str]) -> tuple[list[StreamEvent], int]:
        """The next settled events of every session (JSON-encoded only for `sessions`, the
        followed ones) and the new horizon."""
        ...

    async def replay(self, session_id: str, after: int, upto: int, limit: int) -> list[StreamEvent]:
        """The session's events with `after < id <= upto`, oldest first, at most `limit`."""
        ...

    async def task_progress(
        self, session_ids: list[str], within_seconds: float
    ) -> list[TaskProgress]:
        """The tasks of these sessions touched in the last `within_seconds`."""
        ...

    async def open_tasks(self, session_id: str) -> list[TaskProgress]:
        """The session's unfinished tasks (what a client gets when it connects)."""
        ...

    async def close(self) -> None: ...


@dataclass(frozen=True)
class IssuedTicket:
    ticket: str
    expires_at: datetime


@dataclass(frozen=True)
class Follower:
    """Who follows a stream, and until when: the expiry of the token that opened it (a
    timestamp), which neither the stream nor its grant outlives (issue 28)."""

    user_id: UUID
    until: float


class StreamTickets(Protocol):
    """Short-lived, single-use tickets bound to (user, session), valid in every API process;
    each carries the expiry of the token it was issued to (`until`)."""

    async def issue(
        self, follower: Follower, session_id: UUID, ttl_seconds: int
    ) -> IssuedTicket: ...

    async def redeem(self, ticket: str, session_id: UUID) -> Follower:
        """Spend the ticket and return its user and `until`; AuthenticationError when it is
        unknown, expired or spent, NotFound when it was issued for another session."""
        ...
