"""Every version is the writer's (issue 37): a session's history, and a branch from one of its
versions. A rollback is a command (RollbackToVersion, application/genesis_commands.py)."""

from dataclasses import asdict
from typing import Any
from uuid import UUID, uuid4

from infinite_scribe.application.aggregates import Origin
from infinite_scribe.application.context import RequestContext
from infinite_scribe.application.cpu import CpuGate
from infinite_scribe.application.genesis_commands import SESSIONS, owned
from infinite_scribe.application.ports.genesis import GenesisQueries
from infinite_scribe.application.ports.storage import UnitOfWork
from infinite_scribe.application.reads import InvalidCursor
from infinite_scribe.domain.errors import InvalidVersion, NotFound
from infinite_scribe.domain.estimates import Pricing, estimate
from infinite_scribe.domain.genesis import STAGE_ORDER, GenesisState
from infinite_scribe.domain.history import branched
from infinite_scribe.domain.version_page import PageCursor, render
from shared_types.enums import GenesisStage

#: Versions on one history page unless the writer asks for fewer (at most MAX_PAGE_SIZE).
PAGE_SIZE = 50
MAX_PAGE_SIZE = 200
#: About this many bytes of payload per page: a page of large stages is shorter, never refused.
PAGE_BYTES = 4 * 1024 * 1024


class SessionVersions:
    """The history and branches of the writer's sessions."""

    def __init__(
        self, uow: UnitOfWork, queries: GenesisQueries, cpu: CpuGate, pricing: Pricing
    ) -> None:
        self.uow = uow
        self.queries = queries
        self.cpu = cpu
        self.pricing = pricing

    async def history(
        self, session_id: UUID, user_id: UUID, before: str | None = None, limit: int = PAGE_SIZE
    ) -> dict[str, Any]:
        """One page of the lineage's versions older than `before` (newest first; 404 unless
        the user's session, 422 INVALID_CURSOR): `stages` in Genesis order, each oldest first,
        and `next_before` (None: the first version is on this page). The diffs run in a
        thread."""
        owned(await self.queries.snapshot(session_id, user_id))
        try:
            cursor = PageCursor.parse(before)
        except ValueError as error:
            raise InvalidCursor("`before` is not a cursor this history gave") from error
        page = await self.queries.version_page(session_id, cursor, limit, PAGE_BYTES)
        rendered = await self.cpu.run(user_id, render, page.versions, page.before_page)
        stages: dict[GenesisStage, list[dict[str, Any]]] = {stage: [] for stage in STAGE_ORDER}
        for stage, version in reversed(rendered):
            stages[stage].append(version)
        return {
            "stages": [{"stage": s.value, "versions": v} for s, v in stages.items()],
            "next_before": None if page.next_before is None else str(page.next_before),
        }

    async def prompt(self, session_id: UUID, event_id: UUID, user_id: UUID) -> dict[str, Any]:
        """What the proposal `event_id` was generated from (404 unless the user's session and
        a proposal of it whose inputs were kept: those written before issue 55 have none)."""
        owned(await self.queries.snapshot(session_id, user_id))
        found = await self.queries.proposal_input(session_id, event_id)
        if found is None:
            raise NotFound("No recorded inputs for this proposal of the session")
        messages = None if found.messages is None else [dict(m) for m in found.messages]
        return {
            "session_id": str(session_id),
            "event_id": str(event_id),
            "request": dict(found.request),
            "messages": messages,
        }

    async def estimate(self, session_id: UUID, user_id: UUID) -> dict[str, Any]:
        """What the next generation of the session's stage will cost, before it runs (a new
        proposal, a revision or a regeneration with the configured model; domain/estimates.py).
        """
        state = owned(await self.queries.snapshot(session_id, user_id)).state
        recorded = await self.queries.latest_proposal_input(session_id)
        messages = None if recorded is None else recorded.messages
        stage = state.current_stage.value
        extra: Any = state.last_result  # a revision's prompt carries the proposal
        if recorded is not None and recorded.request.get("stage") != stage:
            known = recorded.request.get("confirmed_data") or {}
            extra = {k: v for k, v in state.confirmed_data.items() if k not in known}
        # Off the loop, bounded like the history's diffs: the texts measured may be large.
        found = await self.cpu.run(
            user_id, estimate, self.pricing, messages, state.last_result, extra
        )
        return {"session_id": str(session_id), "stage": stage, **asdict(found)}

    async def branch(
        self, context: RequestContext, source_id: UUID, at_event_id: UUID, title: str | None
    ) -> GenesisState:
        """A new session of the same writer starting from the state right after `at_event_id`
        (a version of the source: 422 INVALID_VERSION otherwise); the source is untouched."""
        owned(await self.queries.snapshot(source_id, context.user_id))
        target = await self.queries.version_target(source_id, at_event_id, context.user_id)
        if target is None:
            raise InvalidVersion("The event is not a version of this session")
        initial = await self.queries.session_input(source_id)
        decided = branched(context.user_id, source_id, target, title, initial, uuid4())
        blank = GenesisState(session_id=uuid4(), user_id=context.user_id, version=0)
        flow_id = uuid4()  # a branch starts its own flow, caused by the version it starts from
        origin = Origin(flow_id, at_event_id, context.metadata())
        change = await SESSIONS.apply(self.uow.writes, blank, decided, origin)
        return change.after
