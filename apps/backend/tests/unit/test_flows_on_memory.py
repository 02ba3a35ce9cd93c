"""Resume handles' rules on the in-memory adapters (moved from the integration tier: they need
neither PostgreSQL nor HTTP): expiry, the resume refusals, and the sweeper settling a pause
whose worker died. The races stay on PostgreSQL (tests/integration/test_flow_handles.py)."""

import uuid
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from uuid import UUID

import pytest

from infinite_scribe.application.context import RequestContext
from infinite_scribe.application.ports.flows import FlowHandle
from infinite_scribe.domain.errors import (
    FlowAlreadyResumed,
    FlowHandleExpired,
    FlowHandleNotFound,
    InvalidPayload,
)
from infinite_scribe.domain.flows import FLOW_EXPIRED, FLOW_PAUSED, FLOW_RESUMED, LandingOutcome
from shared_types import EventEnvelope
from tests.support.flows import CONFIRM, FlowApp
from tests.support.memory.adapters import (
    MemoryDatabase,
    MemoryGenesis,
    MemoryUnitOfWork,
)
from tests.support.memory.flows import MemoryFlowQueries


class Flows(FlowApp):
    """The flow use cases on memory."""

    def __init__(self, ttl_seconds: float = 3600) -> None:
        self.db = MemoryDatabase()
        queries = MemoryFlowQueries(self.db)
        super().__init__(MemoryUnitOfWork(self.db), MemoryGenesis(self.db), queries, ttl_seconds)

    def flow_events(self, session_id: UUID) -> list[EventEnvelope]:
        return [
            e for e in self.db.tables.events
            if e.aggregate_id == str(session_id) and e.event_type.startswith("Genesis.Session.Flow")
        ]  # fmt: skip

    def handle(self, correlation_id: str) -> FlowHandle:
        [found] = [h for h in self.db.tables.handles.values() if h.correlation_id == correlation_id]
        return found

    def commands_of(self, session_id: UUID) -> int:
        return sum(1 for c in self.db.tables.inbox.values() if c["aggregate_id"] == session_id)


async def test_expired_handle_refuses_resume() -> None:
    flows = Flows(ttl_seconds=0)  # expired as soon as it waits
    user = uuid.uuid4()
    session_id, cid = await flows.paused_flow(user)
    assert await flows.control.pause_landed(cid) is LandingOutcome.PAUSED
    assert await flows.control.pause_landed(cid) is LandingOutcome.NOTHING  # idempotent
    assert await flows.control.expire_due() == 1
    assert await flows.control.expire_due() == 0
    assert flows.handle(cid).status.value == "EXPIRED"
    assert [e.event_type for e in flows.flow_events(session_id)] == [FLOW_PAUSED, FLOW_EXPIRED]
    context = RequestContext(user_id=user)
    with pytest.raises(FlowHandleExpired):
        await flows.replies.resume(context, UUID(cid), "ConfirmStage", CONFIRM, None)
    # A command on the session still works; it has nothing to resume any more.
    await flows.confirm(user, session_id)
    assert len(flows.flow_events(session_id)) == 2


async def test_resume_refusals() -> None:
    flows = Flows()
    user, stranger = uuid.uuid4(), uuid.uuid4()
    session_id, cid = await flows.paused_flow(user)
    await flows.control.pause_landed(cid)
    mine = RequestContext(user_id=user)
    with pytest.raises(FlowHandleNotFound):  # unknown
        await flows.replies.resume(mine, uuid.uuid4(), "ConfirmStage", CONFIRM, None)
    with pytest.raises(FlowHandleNotFound):  # another user's looks unknown
        await flows.replies.resume(
            RequestContext(user_id=stranger), UUID(cid), "ConfirmStage", CONFIRM, None
        )
    with pytest.raises(InvalidPayload):
        await flows.replies.resume(mine, UUID(cid), "AbandonSession", {}, None)
    result, handle = await flows.replies.resume(mine, UUID(cid), "ConfirmStage", CONFIRM, None)
    assert result.status == "COMPLETED" and handle.status.value == "RESUMED"
    with pytest.raises(FlowAlreadyResumed):
        next_stage = {"stage": "STORY_CONCEPTION", "data": {}}
        await flows.replies.resume(mine, UUID(cid), "ConfirmStage", next_stage, None)
    # The check inside the reply's transaction (a resume that lost the race after the
    # endpoint's early check): the command rolls back with the reason.
    for named, error in ((cid, FlowAlreadyResumed), (str(uuid.uuid4()), FlowHandleNotFound)):
        with pytest.raises(error):
            await flows.commands.execute(
                replace(mine, resumes_flow=named), session_id, "AbandonSession", {}
            )
    assert flows.commands_of(session_id) == 1  # the refused resumes wrote no command


async def test_early_reply_is_kept_and_settled_by_the_sweeper() -> None:
    """The worker died after its proposal: the reply is kept, and the sweeper's settle lands
    the pause by consuming it; a pause nobody answered is settled to PAUSED."""
    flows = Flows()
    user = uuid.uuid4()
    answered_session, answered = await flows.paused_flow(user)
    _, unanswered = await flows.paused_flow(user)
    await flows.confirm(user, answered_session)
    kept = flows.handle(answered)
    assert kept.status.value == "PENDING_PAUSE" and kept.resume_payload is not None
    past = datetime.now(UTC) - timedelta(seconds=1)
    flows.db.tables.handles[kept.handle_id] = replace(kept, expires_at=past)
    assert await flows.control.expire_due() == 0  # a kept reply is settled, never expired
    assert await flows.control.settle(3600) == 0  # not stale yet
    for handle_id in flows.db.tables.handle_moved:  # both pauses age past the threshold
        flows.db.tables.handle_moved[handle_id] -= timedelta(seconds=10)
    assert await flows.control.settle(5) == 2
    assert flows.handle(answered).status.value == "RESUMED"
    assert flows.handle(unanswered).status.value == "PAUSED"
    events = flows.flow_events(answered_session)
    assert [e.event_type for e in events] == [FLOW_RESUMED]
    assert events[0].payload["early"] is True
