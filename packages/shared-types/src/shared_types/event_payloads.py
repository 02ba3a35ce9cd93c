"""Event type -> payload model: the registry `scribe schema export` publishes for consumers.

These are the payloads the genesis stage machine emits (a unit test decides every command and
checks each payload against its model, so the two cannot drift). Unknown fields are allowed so
an older consumer keeps reading a newer producer's payload.
"""

from datetime import datetime
from typing import Any, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from shared_types.enums import GenesisStage


class EventPayload(BaseModel):
    """Base of every payload: unknown fields are kept (a newer producer may add some)."""

    model_config = ConfigDict(extra="allow")


class SessionCreated(EventPayload):
    user_id: UUID
    initial_user_input: dict[str, Any] = Field(default_factory=dict)


class ConceptGenerationRequested(EventPayload):
    stage: GenesisStage = GenesisStage.CONCEPT_SELECTION
    user_input: str | None = None
    preferences: dict[str, Any] = Field(default_factory=dict)
    theme_preferences: list[str] = Field(default_factory=list)
    style_preferences: list[str] = Field(default_factory=list)


class StageGenerationRequested(EventPayload):
    stage: GenesisStage
    preferences: dict[str, Any] = Field(default_factory=dict)


class FeedbackSubmitted(EventPayload):
    stage: GenesisStage
    feedback: str
    details: dict[str, Any] = Field(default_factory=dict)


class StageConfirmed(EventPayload):
    stage: GenesisStage
    data: dict[str, Any] = Field(default_factory=dict)
    next_stage: GenesisStage
    #: The option of the proposal the writer chose (ConfirmStage `choice`), when they did.
    choice: int | None = None
    #: How the writer took the proposal: `as_proposed`, `choice` (one of several options) or
    #: `edited` (issue 37; absent in older events).
    confirmation: Literal["as_proposed", "choice", "edited"] | None = None
    #: The paths that differ from the chosen option (or the proposal), e.g. `characters[0].name`.
    edited: list[str] = Field(default_factory=list)
    #: The writer's codex after the stage added what it newly named (its cast, its locations;
    #: issue 76); absent when it added nothing.
    codex: dict[str, Any] | None = None


class SessionFinished(EventPayload):
    novel_id: UUID


class SessionRolledBack(EventPayload):
    """The session went back to a version of its history (issue 37). It names the version;
    the state it restores is written beside it (`session_restores`, decision 5403): read the
    session for it. Events written before that carry the state here."""

    to_event_id: UUID
    to_stage: GenesisStage
    stage: GenesisStage
    #: Only in events written before decision 5403 (the restored state, whole).
    confirmed_data: dict[str, Any] | None = None
    last_result: dict[str, Any] | None = None
    #: Stage -> the event whose confirmation the restored data holds.
    confirmed_by: dict[str, str] = Field(default_factory=dict)
    from_stage: GenesisStage
    from_status: str
    #: The writer's codex as it was at that version (issue 76; absent in older events).
    codex: dict[str, Any] = Field(default_factory=dict)


class SessionBranched(SessionRolledBack):
    """A session's first event when it starts from another's version (in place of Created);
    caused by that version's event."""

    user_id: UUID
    branched_from: dict[str, Any]
    initial_user_input: dict[str, Any] = Field(default_factory=dict)


class CodexUpdated(EventPayload):
    """The writer's codex corrected by the writer's `EditCodex` (issue 76): its `edits` and
    the `renames` it made everywhere in the confirmed stages and the proposal. (The codex read
    from the idea is in the first proposal's event; a confirmed stage's in its event.)"""

    source: Literal["edit"]
    #: The whole codex after the change (`Codex.as_json()`: language, entries, not_names).
    codex: dict[str, Any]
    stage: GenesisStage | None = None
    edits: list[dict[str, Any]] = Field(default_factory=list)
    #: Old name -> new name, renamed in every confirmed stage and the current proposal.
    renames: dict[str, str] = Field(default_factory=dict)


class SessionAbandoned(EventPayload):
    stage: GenesisStage
    reason: str | None = None


class ProposalMade(EventPayload):
    """An agent's proposal for `stage` (written by the agent worker, not decided by a command)."""

    stage: GenesisStage
    result: dict[str, Any]
    task_id: UUID
    command_id: UUID
    provider: str
    revision: bool = False
    #: Where it came from (issue 37): provider, model, prompt_version, inputs (event ids the
    #: prompt used), tokens_in, tokens_out, latency_ms, attempts.
    provenance: dict[str, Any] | None = None
    #: The writer's codex read from the idea (issue 76): on the session's first proposal only.
    codex: dict[str, Any] | None = None


class GenerationFailed(EventPayload):
    """A generation that failed for good (after its retries); the writer may ask again."""

    stage: GenesisStage
    task_id: UUID
    command_id: UUID
    error_code: str
    error: str
    attempts: int


class SessionTrashed(EventPayload):
    """The session went to the trash: it takes no command until restored."""

    trashed_at: datetime
    status: str
    stage: GenesisStage


class SessionRestored(EventPayload):
    """The session came back from the trash, as it was."""

    trashed_at: datetime


class SessionPurged(EventPayload):
    """The tombstone: drop everything derived from this session. The payloads of its events up
    to `erased_through_version` are erased (`{}`) in the log; this one is kept."""

    reason: Literal["user", "retention"]
    trashed_at: datetime
    erased_through_version: int


class FlowPaused(EventPayload):
    """A flow stopped to wait for the writer (docs/flows.md): its handle and until when."""

    handle_id: UUID
    stage: GenesisStage
    task_id: UUID | None = None
    proposal_event_id: UUID | None = None
    expires_at: str | None = None


class FlowResumed(EventPayload):
    """The writer's reply resumed a paused flow; `early`: it came before the pause landed."""

    handle_id: UUID
    stage: GenesisStage
    reply_command_type: str | None = None
    reply_command_id: UUID | None = None
    reply_event_id: UUID | None = None
    early: bool = False


class FlowExpired(EventPayload):
    """A paused flow waited longer than FLOW_HANDLE_TTL_SECONDS; it will not resume."""

    handle_id: UUID
    stage: GenesisStage | None = None


class SessionArchiveMoved(EventPayload):
    """A session's streams (its novel's too) moved to the archived partition or back (the
    archive stream, aggregate ARCHIVE: decision 5101). `reason`: request, finished, trashed
    (archived) or write (a writer came back)."""

    session_id: UUID
    novel_id: UUID | None = None
    reason: Literal["request", "finished", "trashed", "write"]
    events_moved: int


#: (event_type, event_version) -> the payload model; a breaking change adds a new version.
EVENT_PAYLOADS: dict[tuple[str, int], type[EventPayload]] = {
    ("Genesis.Session.Created", 1): SessionCreated,
    ("Genesis.Session.ConceptGenerationRequested", 1): ConceptGenerationRequested,
    ("Genesis.Session.StageGenerationRequested", 1): StageGenerationRequested,
    ("Genesis.Session.FeedbackSubmitted", 1): FeedbackSubmitted,
    ("Genesis.Session.StageConfirmed", 1): StageConfirmed,
    ("Genesis.Session.Finished", 1): SessionFinished,
    ("Genesis.Session.Abandoned", 1): SessionAbandoned,
    ("Genesis.Session.CodexUpdated", 1): CodexUpdated,
    ("Genesis.Session.RolledBack", 1): SessionRolledBack,
    ("Genesis.Session.Branched", 1): SessionBranched,
    ("Genesis.Session.Concept.Proposed", 1): ProposalMade,
    ("Genesis.Session.StageContent.Proposed", 1): ProposalMade,
    ("Genesis.Session.ConceptGeneration.Failed", 1): GenerationFailed,
    ("Genesis.Session.StageGeneration.Failed", 1): GenerationFailed,
    ("Genesis.Session.Trashed", 1): SessionTrashed,
    ("Genesis.Session.Restored", 1): SessionRestored,
    ("Genesis.Session.Purged", 1): SessionPurged,
    ("Genesis.Session.FlowPaused", 1): FlowPaused,
    ("Genesis.Session.FlowResumed", 1): FlowResumed,
    ("Genesis.Session.FlowExpired", 1): FlowExpired,
    ("Archive.Session.Archived", 1): SessionArchiveMoved,
    ("Archive.Session.Unarchived", 1): SessionArchiveMoved,
}
