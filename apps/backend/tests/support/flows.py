"""The flow use cases wired as the API wires them, on any storage adapters (memory in the unit
tier, PostgreSQL in the integration tier), and a flow paused as an agent leaves it."""

import uuid
from typing import Any
from uuid import UUID

from infinite_scribe.application.aggregates import Origin
from infinite_scribe.application.command_service import CommandService
from infinite_scribe.application.context import RequestContext
from infinite_scribe.application.flow_replies import FlowReplies, ResumeOnReply
from infinite_scribe.application.flows import FlowControl
from infinite_scribe.application.genesis_commands import SESSIONS
from infinite_scribe.application.ports.genesis import GENESIS_SESSIONS
from infinite_scribe.application.ports.writes import FlowHandleRow, Write
from infinite_scribe.application.sessions import GenesisSessions
from infinite_scribe.domain.genesis import CONCEPT_PROPOSED, Decided
from shared_types import EventMetadata

CONFIRM = {"stage": "CONCEPT_SELECTION", "data": {"title": "t"}}


class FlowApp:
    """Flow control, replies, commands and sessions on one unit of work."""

    def __init__(self, uow: Any, genesis: Any, flow_queries: Any, ttl_seconds: float) -> None:
        self.uow = uow
        self.queries = flow_queries
        self.control = FlowControl(
            uow, flow_queries, ttl_seconds=ttl_seconds, source_service="test"
        )
        self.commands = CommandService(uow, genesis, reactions=[ResumeOnReply(self.control)])
        self.replies = FlowReplies(self.commands, flow_queries)
        self.sessions = GenesisSessions(uow, genesis)

    async def paused_flow(self, user: UUID) -> tuple[UUID, str]:
        """A session with a proposal and its PENDING_PAUSE handle, as the agent leaves it in
        its proposal's transaction (the pause has not landed yet)."""
        created, _ = await self.sessions.create(RequestContext(user_id=user), None)
        flow = uuid.uuid4()
        async with self.uow.transaction() as tx:
            snapshot = await tx.repository(GENESIS_SESSIONS).load(created.session_id)
            assert snapshot is not None
            state = snapshot.state
            payload = {
                "stage": "CONCEPT_SELECTION",
                "result": {"title": "a proposal"},
                "task_id": str(uuid.uuid4()),
                "command_id": str(flow),
                "provider": "test",
            }
            origin = Origin(flow, flow, EventMetadata(user_id=str(user), source_service="test"))
            change = SESSIONS.change(state, [Decided(CONCEPT_PROPOSED, payload)], origin)
            handle = {
                "session_id": str(state.session_id),
                "user_id": str(user),
                "stage": "CONCEPT_SELECTION",
                "proposal_event_id": str(change.events[0].event_id),
            }
            # As the agent does: the handle is a part of the proposal's own write.
            row = FlowHandleRow(str(flow), handle, self.control.ttl_seconds)
            await tx.write(change.with_parts(Write(flow_handle=row)).write)
        return state.session_id, str(flow)

    async def confirm(self, user: UUID, session_id: UUID) -> None:
        await self.commands.execute(
            RequestContext(user_id=user), session_id, "ConfirmStage", CONFIRM
        )
