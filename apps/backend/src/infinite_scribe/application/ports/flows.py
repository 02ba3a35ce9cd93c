"""Ports of flow resume handles (`flow_resume_handles`) and of event chains."""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol
from uuid import UUID

from infinite_scribe.application.ports.storage import RepositoryKey
from shared_types.enums import HandleStatus


@dataclass(frozen=True)
class FlowHandle:
    """One resume handle: the flow it belongs to, where it stopped (`handle`) and its state."""

    handle_id: UUID
    correlation_id: str
    status: HandleStatus
    #: Where the flow stopped: session_id, user_id, stage, task_id, proposal_event_id, ...
    handle: Mapping[str, Any]
    #: A reply kept for the landing pause (an early resume), or the reply that resumed it.
    resume_payload: Mapping[str, Any] | None
    expires_at: datetime | None

    @property
    def session_id(self) -> UUID:
        return UUID(str(self.handle["session_id"]))

    @property
    def user_id(self) -> UUID:
        return UUID(str(self.handle["user_id"]))


class FlowHandleRepository(Protocol):
    """Resume handles inside a transaction; every move happens under the row's lock."""

    async def get(self, correlation_id: str) -> FlowHandle | None:
        """The flow's handle as this transaction's snapshot sees it (no lock)."""
        ...

    async def lock(self, correlation_id: str) -> FlowHandle | None:
        """The flow's handle (its waiting one, else the newest), locked FOR UPDATE."""
        ...

    async def lock_waiting_of_session(self, session_id: UUID) -> list[FlowHandle]:
        """Every waiting handle of a session, locked FOR UPDATE (oldest first)."""
        ...

    async def move(
        self,
        handle_id: UUID,
        status: HandleStatus,
        *,
        resume_payload: Mapping[str, Any] | None = None,
        handle_additions: Mapping[str, Any] | None = None,
    ) -> None:
        """Set the status (and the reply, and keys merged into `resume_handle`)."""
        ...


class FlowHandleQueries(Protocol):
    """Reads outside transactions (errors translated)."""

    async def handle_for(self, correlation_id: str, user_id: UUID) -> FlowHandle | None:
        """The user's handle of the flow (waiting first, else the newest); None otherwise."""
        ...

    async def unsettled(self, older_than_seconds: float, limit: int) -> list[str]:
        """Flows whose pause never landed (PENDING_PAUSE untouched that long): their worker
        died between the proposal and the pause."""
        ...

    async def due(self, limit: int) -> list[str]:
        """Flows whose waiting handle, with no reply kept, is past `expires_at`."""
        ...


class EventChainQueries(Protocol):
    """The causation tree around one event (rows with the columns of `EventOut`)."""

    async def event(self, event_id: UUID, user_id: UUID) -> Any | None: ...

    async def ancestors(self, event_id: UUID, user_id: UUID, depth: int) -> list[Any]:
        """The event's causes, nearest first, at most `depth` of them."""
        ...

    async def descendants(self, event_id: UUID, user_id: UUID, depth: int, limit: int) -> list[Any]:
        """Events caused by it, transitively, at most `depth` levels and `limit` rows, breadth
        first; each row also has its `depth` (1: caused by the event itself)."""
        ...


#: Resume handles inside a transaction.
FLOW_HANDLES: RepositoryKey[FlowHandleRepository] = RepositoryKey("flow_resume_handles")
