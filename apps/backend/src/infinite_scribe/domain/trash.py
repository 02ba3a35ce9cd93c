"""The trash of a genesis session, pure: decide trash / restore / purge, fold their events.

The trash lives beside the stage machine (`genesis.py`): its events move only the session's
version there, and `TrashState` (in the trash since when, purged or not) is folded from the same
events. A trashed session keeps its stage machine state untouched, so a restore gives it back
exactly as it was (a pending command included).
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from infinite_scribe.domain.errors import SessionNotTrashed
from infinite_scribe.domain.genesis import Decided, GenesisState

TRASHED = "Genesis.Session.Trashed"
RESTORED = "Genesis.Session.Restored"
#: The tombstone: consumers drop what they derived from the session; its earlier events'
#: payloads are erased in the same transaction (docs/trash.md).
PURGED = "Genesis.Session.Purged"
TRASH_EVENTS = frozenset({TRASHED, RESTORED, PURGED})

#: Why a session was purged (the `reason` of `Purged`).
PURGED_BY_USER = "user"
PURGED_BY_RETENTION = "retention"


@dataclass(frozen=True)
class TrashState:
    """Where a session stands with respect to the trash."""

    trashed_at: datetime | None = None
    purged: bool = False

    @property
    def trashed(self) -> bool:
        return self.trashed_at is not None


def evolve_trash(state: TrashState, event_type: str, payload: Mapping[str, Any]) -> TrashState:
    """Apply one event; every event other than the three trash events leaves it as it was."""
    if event_type == TRASHED:
        return TrashState(trashed_at=datetime.fromisoformat(str(payload["trashed_at"])))
    if event_type == RESTORED:
        return TrashState()
    if event_type == PURGED:
        return TrashState(trashed_at=state.trashed_at, purged=True)
    return state


def fold_trash(events: Iterable[tuple[str, Mapping[str, Any]]]) -> TrashState:
    state = TrashState()
    for event_type, payload in events:
        state = evolve_trash(state, event_type, payload)
    return state


def decide_trash(state: GenesisState, trash: TrashState, now: datetime) -> list[Decided]:
    """Move to the trash; already there is a no-op (trashing twice is idempotent)."""
    if trash.trashed:
        return []
    payload = {
        "trashed_at": now.isoformat(),
        "status": state.status.value,
        "stage": state.current_stage.value,
    }
    return [Decided(TRASHED, payload)]


def decide_restore(trash: TrashState) -> list[Decided]:
    """Bring back from the trash; not in the trash is a no-op (restoring twice is idempotent)."""
    if not trash.trashed or trash.trashed_at is None:
        return []
    return [Decided(RESTORED, {"trashed_at": trash.trashed_at.isoformat()})]


def decide_purge(state: GenesisState, trash: TrashState, reason: str) -> list[Decided]:
    """Purge a trashed session; anything else must go to the trash first."""
    if not trash.trashed or trash.trashed_at is None:
        raise SessionNotTrashed("Only a session in the trash can be purged; trash it first")
    payload = {
        "reason": reason,
        "trashed_at": trash.trashed_at.isoformat(),
        # Every event up to this version has its payload erased in the purge's transaction.
        "erased_through_version": state.version,
    }
    return [Decided(PURGED, payload)]
