"""In-memory flow handles (pause/resume): the repository on a transaction's tables and the
queries on the committed ones (split from adapters.py to keep modules small)."""

from collections.abc import Mapping
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any
from uuid import UUID

from infinite_scribe.application.ports.flows import FlowHandle
from shared_types.enums import HandleStatus
from tests.support.memory.tables import WAITING, Tables

if TYPE_CHECKING:
    from tests.support.memory.adapters import MemoryDatabase


class MemoryHandles:
    """`FlowHandleRepository` on a transaction's tables."""

    def __init__(self, tables: Tables) -> None:
        self.tables = tables

    async def get(self, correlation_id: str) -> FlowHandle | None:
        return newest_handle(self.tables, correlation_id)

    lock = get

    async def lock_waiting_of_session(self, session_id: UUID) -> list[FlowHandle]:
        return [
            h for h in self.tables.handles.values()
            if h.status in WAITING and h.session_id == session_id
        ]  # fmt: skip

    async def move(
        self,
        handle_id: UUID,
        status: HandleStatus,
        *,
        resume_payload: Mapping[str, Any] | None = None,
        handle_additions: Mapping[str, Any] | None = None,
    ) -> None:
        handle = self.tables.handles[handle_id]
        self.tables.handles[handle_id] = replace(
            handle,
            status=status,
            resume_payload=resume_payload if resume_payload is not None else handle.resume_payload,
            handle=dict(handle.handle) | dict(handle_additions or {}),
        )
        self.tables.handle_moved[handle_id] = datetime.now(UTC)


def newest_handle(
    tables: Tables, correlation_id: str, user_id: UUID | None = None
) -> FlowHandle | None:
    """The flow's waiting handle, else its newest (of `user_id`, when given)."""
    mine = [h for h in tables.handles.values() if h.correlation_id == correlation_id]
    if user_id is not None:
        mine = [h for h in mine if h.handle.get("user_id") == str(user_id)]
    waiting = [h for h in mine if h.status in WAITING]
    found = waiting or mine
    return found[-1] if found else None


class MemoryFlowQueries:
    """`FlowHandleQueries` on the committed tables."""

    def __init__(self, db: "MemoryDatabase") -> None:
        self.db = db

    async def handle_for(self, correlation_id: str, user_id: UUID) -> FlowHandle | None:
        return newest_handle(self.db.tables, correlation_id, user_id)

    async def unsettled(self, older_than_seconds: float, limit: int) -> list[str]:
        before = datetime.now(UTC) - timedelta(seconds=older_than_seconds)
        moved = self.db.tables.handle_moved
        stale = [
            h for h in self.db.tables.handles.values()
            if h.status is HandleStatus.PENDING_PAUSE and moved[h.handle_id] < before
        ]  # fmt: skip
        return [h.correlation_id for h in sorted(stale, key=lambda h: moved[h.handle_id])][:limit]

    async def due(self, limit: int) -> list[str]:
        now = datetime.now(UTC)
        due = [
            h for h in self.db.tables.handles.values()
            if h.status in WAITING and h.resume_payload is None
            and h.expires_at is not None and h.expires_at <= now
        ]  # fmt: skip
        return [h.correlation_id for h in due][:limit]
