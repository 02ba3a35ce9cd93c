"""The live stream of a genesis session: who may follow it, and what a follower receives.

A follower gets the session's events after its `Last-Event-ID` (replayed from the database up
to the hub's horizon), then the live ones from the hub, each id exactly once and in order, plus
its tasks' progress (state, without ids) and the drafts of its running generations (the
latest one at once on connecting, so a reconnecting client does not wait for the next).
`follow` first yields `Signal.OPENED` once subscribed (events committed after the client sees
it are all delivered), then `Signal.IDLE` after a quiet spell (the route sends a keep-alive
comment).
"""

from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from uuid import UUID

from infinite_scribe.application.ports.stream import (
    Draft,
    EventFeed,
    Follower,
    IssuedTicket,
    StreamEvent,
    StreamTickets,
    TaskProgress,
)
from infinite_scribe.application.sessions import GenesisSessions
from infinite_scribe.application.stream_hub import Signal, StreamHub
from infinite_scribe.domain.errors import (
    AuthenticationError,
    NotFound,
    SessionTrashed,
    StorageUnavailable,
)
from infinite_scribe.domain.trash import TRASHED

#: Events read per replay query (bounds the memory of a client catching up).
REPLAY_PAGE = 200

StreamItem = StreamEvent | TaskProgress | Draft | Signal
#: Whether a novel is the user's (`novel_id, user_id`).
NovelOwner = Callable[[UUID, UUID], Awaitable[bool]]


@dataclass(frozen=True)
class StreamOptions:
    ticket_ttl_seconds: int
    keepalive_seconds: float


class LiveStreams:
    """Tickets, authorization and the per-client merge of replay and live events."""

    def __init__(
        self,
        hub: StreamHub,
        feed: EventFeed,
        tickets: StreamTickets,
        sessions: GenesisSessions,
        options: StreamOptions,
        novels: NovelOwner | None = None,
    ) -> None:
        self.hub = hub
        self.feed = feed
        self.tickets = tickets
        self.sessions = sessions
        self.options = options
        #: Whether a novel is the user's: a novel's stream (its chapters, issue 39) is theirs.
        self.novels = novels

    async def stop(self) -> None:
        """Stop the hub: open streams end, the feed's connection closes."""
        await self.hub.stop()

    def close_streams(self) -> None:
        """End the open streams now (the server starts to stop; the hub stops later)."""
        self.hub.close_streams()

    async def issue_ticket(self, follower: Follower, session_id: UUID) -> IssuedTicket:
        """A ticket for the user's own session (404 otherwise; 409 when it is in the trash)."""
        await self._followable(session_id, follower.user_id)
        return await self.tickets.issue(follower, session_id, self.options.ticket_ttl_seconds)

    async def authorize(
        self, session_id: UUID, *, ticket: str | None, follower: Follower | None
    ) -> Follower:
        """The follower: the ticket's (spent now), or the bearer's or grant's; 404 unless the
        session is theirs, 409 SESSION_TRASHED when it is in the trash (decision 2802)."""
        if not self.hub.ready:
            raise StorageUnavailable("The live stream is not available yet; retry shortly")
        if ticket is not None:
            follower = await self.tickets.redeem(ticket, session_id)
        if follower is None:
            raise AuthenticationError(
                "A bearer token or a stream ticket is required", "MISSING_TOKEN"
            )
        await self._followable(session_id, follower.user_id)
        return follower

    async def _followable(self, session_id: UUID, user_id: UUID) -> None:
        """A session of the user's that is not in the trash, or a novel of theirs (404)."""
        try:
            snapshot = await self.sessions.snapshot(session_id, user_id)
        except NotFound:
            if self.novels is not None and await self.novels(session_id, user_id):
                return
            raise
        if snapshot.trashed:
            raise SessionTrashed("The session is in the trash; restore it to follow it")

    async def follow(
        self, session_id: UUID, last_event_id: int | None
    ) -> AsyncIterator[StreamItem]:
        """Replay after `last_event_id` (none: live only), then live, until the hub stops."""
        key = str(session_id)
        subscription = self.hub.subscribe(key)
        try:
            yield Signal.OPENED
            open_tasks = await self.feed.open_tasks(key)
            for task in open_tasks:
                yield task
            drafted: dict[str, int] = {}  # task id -> the last draft sequence sent
            draft = self.hub.latest_draft(key)
            if draft is not None and draft.task_id in {str(t.task_id) for t in open_tasks}:
                drafted[draft.task_id] = draft.sequence
                yield draft
            last = subscription.start if last_event_id is None else last_event_id
            upto = subscription.start
            while True:
                async for event in self._replay(key, last, upto):
                    last = event.id
                    yield event
                    if event.event_type == TRASHED:
                        return
                last = max(last, upto)
                item = await subscription.next(self.options.keepalive_seconds)
                if item is Signal.CLOSED:
                    return
                if item is Signal.RESYNC:
                    upto = self.hub.resync(subscription)
                    continue
                if isinstance(item, StreamEvent):
                    if item.id <= last:
                        continue  # already replayed
                    last = item.id
                elif isinstance(item, Draft):
                    if drafted.get(item.task_id, -1) >= item.sequence:
                        continue  # sent as the latest on connecting
                    drafted[item.task_id] = item.sequence
                yield item
                if isinstance(item, StreamEvent) and item.event_type == TRASHED:
                    return  # the follower has seen why; a trashed session is not followed
        finally:
            self.hub.unsubscribe(subscription)

    async def _replay(self, key: str, after: int, upto: int) -> AsyncIterator[StreamEvent]:
        while after < upto:
            page = await self.feed.replay(key, after, upto, REPLAY_PAGE)
            for event in page:
                yield event
            if len(page) < REPLAY_PAGE:
                return
            after = page[-1].id
