"""Bodies of the trash routes."""

from datetime import datetime
from uuid import UUID

from pydantic import BaseModel

from infinite_scribe.application.ports.reads import SessionSummary
from infinite_scribe.application.trash import PurgeOutcome, TrashOutcome


class TrashReply(BaseModel):
    """A session after trash or restore."""

    session_id: UUID
    trashed: bool
    trashed_at: datetime | None
    version: int
    #: False when it was already there (a repeated trash or restore changes nothing).
    changed: bool
    #: The `Genesis.Session.Trashed` / `Restored` event written (None when nothing changed).
    event_id: UUID | None = None

    @classmethod
    def of(cls, outcome: TrashOutcome) -> "TrashReply":
        return cls(
            session_id=outcome.session_id,
            trashed=outcome.trashed_at is not None,
            trashed_at=outcome.trashed_at,
            version=outcome.version,
            changed=outcome.changed,
            event_id=outcome.event_id,
        )


class PurgeReply(BaseModel):
    session_id: UUID
    purged: bool = True
    #: False when it had been purged before (a repeated DELETE).
    changed: bool
    #: The `Genesis.Session.Purged` tombstone (None on a repeat).
    event_id: UUID | None = None
    #: How many of its events had their payload erased (0 on a repeat).
    events_erased: int = 0

    @classmethod
    def of(cls, outcome: PurgeOutcome) -> "PurgeReply":
        return cls(
            session_id=outcome.session_id,
            changed=outcome.changed,
            event_id=outcome.event_id,
            events_erased=outcome.rows.events_erased if outcome.rows else 0,
        )


class TrashedSessionOut(BaseModel):
    session_id: UUID
    status: str
    current_stage: str
    version: int
    created_at: datetime
    updated_at: datetime
    trashed_at: datetime | None

    @classmethod
    def of(cls, summary: SessionSummary) -> "TrashedSessionOut":
        return cls(
            session_id=summary.session_id,
            status=summary.status.value,
            current_stage=summary.current_stage.value,
            version=summary.version,
            created_at=summary.created_at,
            updated_at=summary.updated_at,
            trashed_at=summary.trashed_at,
        )


class TrashList(BaseModel):
    items: list[TrashedSessionOut]
    #: Opaque: pass as `cursor` to get the next page; null when this page is the last.
    next_cursor: str | None
