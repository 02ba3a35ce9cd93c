"""Bodies of the trash routes."""

from datetime import datetime
from uuid import UUID

from pydantic import BaseModel, Field

from infinite_scribe.api.schemas.fields import ViewOut, shallow_fields
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
        return cls(trashed=outcome.trashed_at is not None, **shallow_fields(outcome))


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


class TrashedSessionOut(
    ViewOut, view=SessionSummary, drop=("is_pending", "novel_id", "title", "branched_from")
):
    status: str
    current_stage: str
    trashed_at: datetime | None = Field()  # required: every trashed session has one


class TrashList(BaseModel):
    items: list[TrashedSessionOut]
    #: Opaque: pass as `cursor` to get the next page; null when this page is the last.
    next_cursor: str | None
