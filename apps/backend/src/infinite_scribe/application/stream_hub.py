"""Fan-out of the live stream inside one API process: one feed, many subscriptions.

The hub task alone talks to the feed (one database connection for the whole process). It hands
each new event to the subscriptions of its session with a non-blocking append to a bounded
queue, so a slow client never delays the others. A full queue is emptied and the subscription
marked `lagging`: its reader re-reads what it missed from the database (`resync`), so memory
stays bounded and nothing is lost.

Drafts (what a model has written so far) come from a `DraftSource`: each is pushed to its
session's subscriptions, and the latest one per session is kept (bounded) for clients that
connect mid-generation, until its task is seen finished.

Follows (decision 4002): the hub records the streams it serves through `StreamFollows` (a new
one at once, every one again each FOLLOW_RENEW_SECONDS, each for FOLLOW_TTL_SECONDS), so
workers send drafts only to streams someone has open.

Ordering contract: `subscribe` and every dispatch run on the event loop without an await in
between, so a subscription gets exactly the events with id > its `start`, in id order.
"""

import asyncio
import contextlib
import logging
import time
from collections import OrderedDict, deque
from enum import Enum

from infinite_scribe.application.ports.stream import (
    Draft,
    DraftSource,
    EventFeed,
    StreamEvent,
    StreamFollows,
    TaskProgress,
)

logger = logging.getLogger(__name__)

#: Events read per feed round trip.
_BATCH = 500
#: How far back task changes are looked for (covers a writer's transaction that committed late).
_TASK_LOOKBACK_SECONDS = 30.0
#: Latest drafts kept (one per session generating now, across the deployment; a session pushed
#: out only waits for its next draft, <= DRAFT_INTERVAL_SECONDS away). Bounds the memory.
MAX_LATEST_DRAFTS = 4096
_FINISHED = frozenset({"COMPLETED", "FAILED", "CANCELLED"})
#: How long a recorded follow lasts, and how often the hub renews those of its open streams: a
#: stream closed (or a process gone) stops drafts for its session within the TTL.
FOLLOW_TTL_SECONDS = 30.0
FOLLOW_RENEW_SECONDS = 10.0

Item = StreamEvent | TaskProgress | Draft


class Signal(Enum):
    """What a stream yields besides events and progress: subscribed (first), nothing new for a
    while, re-read, or the end."""

    OPENED = "opened"
    IDLE = "idle"
    RESYNC = "resync"
    CLOSED = "closed"


class Subscription:
    """One client's bounded mailbox."""

    __slots__ = ("_ready", "closed", "lagging", "queue", "session_id", "start")

    def __init__(self, session_id: str, start: int) -> None:
        self.session_id = session_id
        #: The hub's horizon when subscribed: live events start above it.
        self.start = start
        self.queue: deque[Item] = deque()
        self.lagging = False
        self.closed = False
        self._ready = asyncio.Event()

    def push(self, item: Item, size: int) -> None:
        if self.lagging or self.closed:
            return
        if len(self.queue) >= size:
            self.queue.clear()  # too slow: drop the backlog, the reader re-reads it
            self.lagging = True
        else:
            self.queue.append(item)
        self._ready.set()

    def close(self) -> None:
        self.closed = True
        self._ready.set()

    async def next(self, idle_after: float) -> Item | Signal:
        while not self.queue:
            if self.closed:
                return Signal.CLOSED
            if self.lagging:
                return Signal.RESYNC
            self._ready.clear()
            try:
                async with asyncio.timeout(idle_after):
                    await self._ready.wait()
            except TimeoutError:
                return Signal.IDLE
        return self.queue.popleft()


class StreamHub:
    """Runs the feed loop and fans events out to subscriptions by session id."""

    def __init__(
        self,
        feed: EventFeed,
        *,
        queue_size: int,
        poll_interval: float,
        drafts: DraftSource | None = None,
        follows: StreamFollows | None = None,
    ) -> None:
        self.feed = feed
        self.drafts = drafts
        self.follows = follows
        #: Streams subscribed here whose follow is not recorded yet; the keeper is woken.
        self._unrecorded: set[str] = set()
        self._follow_wake = asyncio.Event()
        self._keeper: asyncio.Task[None] | None = None
        self._latest_drafts: OrderedDict[str, Draft] = OrderedDict()
        self.queue_size = queue_size
        self.poll_interval = poll_interval
        #: Every event id <= horizon has been dispatched (or settled as never committed).
        self.horizon = 0
        #: The feed is open (a database without the schema yet, or down, keeps it closed; the
        #: API still starts and streams answer 503 until it opens).
        self.ready = False
        self._subscriptions: dict[str, set[Subscription]] = {}
        self._task_seen: dict[str, tuple[tuple[str, str, str], float]] = {}
        self._runner: asyncio.Task[None] | None = None
        #: Subscriptions that overflowed and re-read from the database (a metric).
        self.resyncs = 0
        #: The server is stopping: every stream ends, and one opened now ends at once.
        self.closing = False

    @property
    def subscriber_count(self) -> int:
        return sum(len(subscriptions) for subscriptions in self._subscriptions.values())

    @property
    def lagging_count(self) -> int:
        """Subscriptions whose queue overflowed and that have not re-read yet."""
        return sum(
            s.lagging for subscriptions in self._subscriptions.values() for s in subscriptions
        )

    async def start(self) -> None:
        await self._open()
        self._runner = asyncio.create_task(self._run(), name="stream-hub")
        if self.drafts is not None:
            self.drafts.start(self.on_draft)
        if self.follows is not None:
            self._keeper = asyncio.create_task(self._keep_follows(self.follows), name="follows")

    async def _open(self) -> None:
        try:
            self.horizon = await self.feed.open()
        except Exception as error:  # retried by the loop; the API serves without streams
            logger.warning("live stream feed not open yet (%s); retrying", error)
            await asyncio.sleep(self.poll_interval)
        else:
            self.ready = True

    async def stop(self) -> None:
        for task in (self._runner, self._keeper):
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        for subscriptions in self._subscriptions.values():
            for subscription in subscriptions:
                subscription.close()
        if self.drafts is not None:
            await self.drafts.stop()
        await self.feed.close()

    def on_draft(self, draft: Draft) -> None:
        """A model's latest text for a task: to its session's followers, and kept as the
        session's latest (unless its task is already seen finished, or it is older)."""
        seen = self._task_seen.get(draft.task_id)
        if seen is not None and seen[0][0] in _FINISHED:
            return
        latest = self._latest_drafts.get(draft.session_id)
        late = latest is not None and latest.task_id == draft.task_id
        if late and latest is not None and latest.sequence >= draft.sequence:
            return  # a newer one went out already
        self._latest_drafts[draft.session_id] = draft
        self._latest_drafts.move_to_end(draft.session_id)
        if len(self._latest_drafts) > MAX_LATEST_DRAFTS:
            self._latest_drafts.popitem(last=False)
        for subscription in self._subscriptions.get(draft.session_id, ()):
            subscription.push(draft, self.queue_size)

    def latest_draft(self, session_id: str) -> Draft | None:
        return self._latest_drafts.get(session_id)

    def close_streams(self) -> None:
        """End every open stream, and every one opened from now on (the server is stopping:
        an open stream would hold its shutdown until the grace runs out, issue 38)."""
        self.closing = True
        for subscriptions in self._subscriptions.values():
            for subscription in subscriptions:
                subscription.close()

    def subscribe(self, session_id: str) -> Subscription:
        subscription = Subscription(session_id, self.horizon)
        if self.closing:
            subscription.close()
        if self.follows is not None and session_id not in self._subscriptions:
            self._unrecorded.add(session_id)  # a stream newly followed here: recorded at once
            self._follow_wake.set()
        self._subscriptions.setdefault(session_id, set()).add(subscription)
        return subscription

    def unsubscribe(self, subscription: Subscription) -> None:
        subscriptions = self._subscriptions.get(subscription.session_id)
        if subscriptions is not None:
            subscriptions.discard(subscription)
            if not subscriptions:
                del self._subscriptions[subscription.session_id]

    def resync(self, subscription: Subscription) -> int:
        """Restart a lagging subscription live from now; return the id it must re-read up to."""
        subscription.queue.clear()
        subscription.lagging = False
        self.resyncs += 1
        return self.horizon

    async def _keep_follows(self, follows: StreamFollows) -> None:
        """Record new streams as they open (one statement for those that opened together) and
        renew every open one each FOLLOW_RENEW_SECONDS; a failure is retried (drafts for a
        stream wait meanwhile, events do not)."""
        renew_at = time.monotonic()
        while True:
            wait = renew_at - time.monotonic()
            if wait > 0 and not self._unrecorded:
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(wait):
                        await self._follow_wake.wait()
            self._follow_wake.clear()
            renewing = time.monotonic() >= renew_at
            streams = set(self._subscriptions) if renewing else self._unrecorded
            streams &= self._subscriptions.keys()
            self._unrecorded = set()
            try:
                await follows.record(streams, FOLLOW_TTL_SECONDS)
            except Exception as error:  # the database is away: try again shortly
                logger.warning("recording followed streams failed: %s", error)
                self._unrecorded |= streams
                await asyncio.sleep(self.poll_interval)
                continue
            if renewing:
                renew_at = time.monotonic() + FOLLOW_RENEW_SECONDS

    async def _run(self) -> None:
        while True:
            try:
                if not self.ready:
                    await self._open()
                    continue
                await self._tick()
            except asyncio.CancelledError:
                raise
            except Exception:  # keep serving: the next tick re-reads from the horizon
                logger.exception("stream hub tick failed")
                await asyncio.sleep(self.poll_interval)

    async def _tick(self) -> None:
        woke = await self.feed.wait(self.poll_interval)
        touched: set[str] = set()  # followed sessions with new events
        while True:
            events, horizon = await self.feed.advance(_BATCH, self._subscriptions.keys())
            self._dispatch_events(events, horizon)
            touched.update(e.session_id for e in events if e.session_id in self._subscriptions)
            if len(events) < _BATCH:
                break
        # Task rows change with their session's events (start, finish); a catch-up and the
        # poll timer re-read every followed session's tasks, which catches anything missed.
        everyone = woke.tasks or not woke.events
        sessions = list(self._subscriptions) if everyone else list(touched)
        if sessions:
            self._dispatch_progress(await self.feed.task_progress(sessions, _TASK_LOOKBACK_SECONDS))

    def _dispatch_events(self, events: list[StreamEvent], horizon: int) -> None:
        size = self.queue_size
        for event in events:
            for subscription in self._subscriptions.get(event.session_id, ()):
                subscription.push(event, size)
        self.horizon = horizon

    def _dispatch_progress(self, progress: list[TaskProgress]) -> None:
        now = time.monotonic()
        for item in progress:
            # Keyed by the id's text: drafts name their task as text.
            seen = self._task_seen.get(str(item.task_id))
            self._task_seen[str(item.task_id)] = (item.signature, now)
            if item.signature[0] in _FINISHED:
                self._forget_draft(item)
            if seen is not None and seen[0] == item.signature:
                continue
            for subscription in self._subscriptions.get(item.session_id, ()):
                subscription.push(item, self.queue_size)
        cutoff = now - 2 * _TASK_LOOKBACK_SECONDS
        for task_id in [key for key, (_, at) in self._task_seen.items() if at < cutoff]:
            del self._task_seen[task_id]

    def _forget_draft(self, finished: TaskProgress) -> None:
        latest = self._latest_drafts.get(finished.session_id)
        if latest is not None and latest.task_id == str(finished.task_id):
            del self._latest_drafts[finished.session_id]
