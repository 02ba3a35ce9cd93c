"""Ports of the projection rebuild (implemented in persistence/genesis/projections.py):
recompute the `genesis_sessions` rows from `domain_events` alone and compare or repair them."""

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol
from uuid import UUID

from infinite_scribe.application.ports.storage import RepositoryKey
from infinite_scribe.domain.genesis import GenesisState
from shared_types import DomainEventRow


@dataclass(frozen=True)
class ProjectedRow:
    """The `genesis_sessions` columns a projection rebuild computes from events."""

    state: GenesisState
    trashed_at: datetime | None
    created_at: datetime


def state_columns(state: GenesisState) -> dict[str, Any]:
    """The `genesis_sessions` columns a session's state sets, as the database holds them (the
    projection rebuild and the snapshot's write part both write these)."""
    return {
        "status": state.status.value,
        "current_stage": state.current_stage.value,
        "confirmed_data": dict(state.confirmed_data),
        "pending_command_type": state.pending_command_type,
        "last_result": None if state.last_result is None else dict(state.last_result),
        "novel_id": state.novel_id,
        "version": state.version,
        "codex": dict(state.codex),
    }


class ProjectionRepository(Protocol):
    """What a projection rebuild reads and writes inside one transaction."""

    async def lock_row(self, session_id: UUID) -> dict[str, Any] | None:
        """The projection row's columns (locked against live writers until commit), or None."""
        ...

    async def events(self, session_id: UUID) -> list[DomainEventRow]:
        """The session's events in version order."""
        ...

    async def write(self, session_id: UUID, expected: ProjectedRow | None) -> None:
        """Upsert the row as `expected`; None deletes it."""
        ...


class ProjectionQueries(Protocol):
    async def session_ids(self) -> list[UUID]:
        """Every session id with events or a projection row, in a stable order."""
        ...


#: The projection rebuild's repository in a unit of work.
PROJECTIONS: RepositoryKey[ProjectionRepository] = RepositoryKey("projections")
