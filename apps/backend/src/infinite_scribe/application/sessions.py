"""Genesis sessions beside commands: create one, read its state and events."""

from collections.abc import Mapping
from typing import Any
from uuid import UUID, uuid4

from infinite_scribe.application.aggregates import Origin
from infinite_scribe.application.context import RequestContext
from infinite_scribe.application.genesis_commands import SESSIONS, owned
from infinite_scribe.application.ports.genesis import GenesisQueries, SessionSnapshot
from infinite_scribe.application.ports.storage import UnitOfWork
from infinite_scribe.domain.genesis import GenesisState, created
from shared_types import EventEnvelope


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

    async def events(self, session_id: UUID, user_id: UUID, after: int, limit: int) -> list[Any]:
        """The session's events after aggregate version `after` (404 unless the user's)."""
        await self.state(session_id, user_id)
        return await self.queries.session_events(session_id, after, limit)

    async def flow_events(
        self, correlation_id: UUID, user_id: UUID, after: int, limit: int
    ) -> list[Any]:
        """One business flow's events the user caused, after global id `after`."""
        return await self.queries.correlated_events(correlation_id, user_id, after, limit)
