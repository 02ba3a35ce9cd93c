"""Genesis sessions beside commands: create one, read its state and events."""

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from uuid import UUID, uuid4

from infinite_scribe.application.aggregates import Origin
from infinite_scribe.application.context import RequestContext
from infinite_scribe.application.genesis_commands import SESSIONS, owned
from infinite_scribe.application.ports.genesis import EventLines, GenesisQueries, SessionSnapshot
from infinite_scribe.application.ports.storage import UnitOfWork
from infinite_scribe.domain.event_size import jsonb_text_size
from infinite_scribe.domain.genesis import GenesisState, created
from shared_types import EventEnvelope

#: The bytes of JSON one page of events holds at most (the events routes and the console's
#: timeline): past it the page stops, with the cursor where it stopped (issue 49). 2 MiB, not
#: 8: four readers of 8 MiB pages at once took two cores (PostgreSQL building the JSON, the
#: API copying it) and `/health` p99 to 168 ms; at 2 MiB 60 ms (bench/loop_hold.py).
EVENT_PAGE_MAX_BYTES = 2 * 2**20
#: Events read per query by `events_within`: what it may read past its byte bound is one such
#: page (at EVENT_MAX_BYTES each, ~9 MB).
_PAGE = 10


@dataclass(frozen=True)
class EventPage:
    """Events in aggregate-version order; `more_after` is the version to read on from when the
    byte or count bound cut the list (None: nothing more)."""

    events: list[Any]
    more_after: int | None


class GenesisSessions:
    """The genesis use cases the HTTP API offers besides commands."""

    def __init__(self, uow: UnitOfWork, queries: GenesisQueries) -> None:
        self.uow = uow
        self.queries = queries

    async def create(
        self, context: RequestContext, initial_user_input: Mapping[str, Any] | None
    ) -> tuple[GenesisState, EventEnvelope]:
        """Insert the snapshot and append `Genesis.Session.Created`: one statement."""
        blank = GenesisState(session_id=uuid4(), user_id=context.user_id, version=0)
        flow_id = uuid4()  # the creation starts its own flow; nothing caused it but the request
        origin = Origin(flow_id, flow_id, context.metadata())
        decided = [created(context.user_id, initial_user_input)]
        change = await SESSIONS.apply(self.uow.writes, blank, decided, origin)
        return change.after, change.events[0]

    async def state(self, session_id: UUID, user_id: UUID) -> GenesisState:
        """The user's session, trashed or not (404 when missing or another user's)."""
        return (await self.snapshot(session_id, user_id)).state

    async def snapshot(self, session_id: UUID, user_id: UUID) -> SessionSnapshot:
        """The user's session with its trash status (a trashed one stays readable)."""
        return owned(await self.queries.snapshot(session_id, user_id))

    async def event_lines(
        self, session_id: UUID, user_id: UUID, after: int, limit: int
    ) -> EventLines:
        """The session's events after version `after` as JSON texts, at most `limit` and
        EVENT_PAGE_MAX_BYTES (404 unless the user's)."""
        await self.state(session_id, user_id)
        return await self.queries.session_event_lines(
            session_id, after, limit, EVENT_PAGE_MAX_BYTES
        )

    async def flow_event_lines(
        self, correlation_id: UUID, user_id: UUID, after: int, limit: int
    ) -> EventLines:
        """One flow's events the user caused after global id `after`, bounded likewise."""
        return await self.queries.correlated_event_lines(
            correlation_id, user_id, after, limit, EVENT_PAGE_MAX_BYTES
        )

    async def events_within(
        self, session_id: UUID, user_id: UUID, after: int, limit: int, max_bytes: int
    ) -> EventPage:
        """The session's events after version `after`, at most `limit` of them and, once their
        payloads reach `max_bytes`, no more (issue 41: 500 big events were 100-210 MB per page)."""
        await self.state(session_id, user_id)
        events: list[Any] = []
        loaded = 0
        while len(events) < limit and loaded < max_bytes:
            wanted = min(_PAGE, limit - len(events))
            page = await self.queries.session_events(session_id, after, wanted)
            for row in page:
                events.append(row)
                loaded += _payload_size(_field(row, "payload"))
                after = int(_field(row, "aggregate_version"))
            if len(page) < wanted:
                return EventPage(events, None)
        more = await self.queries.session_events(session_id, after, 1)
        return EventPage(events, after if more else None)


def _field(row: Any, name: str) -> Any:
    """A column of an event row: asyncpg's Record by key, the memory adapter's by attribute."""
    return row[name] if isinstance(row, Mapping) or hasattr(row, "keys") else getattr(row, name)


def _payload_size(payload: Any) -> int:
    if isinstance(payload, str | bytes):
        return len(payload)
    return jsonb_text_size(payload) if payload is not None else 0
