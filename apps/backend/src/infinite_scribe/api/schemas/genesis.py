"""Request and response bodies of the genesis and event routes."""

from collections.abc import Mapping
from datetime import datetime
from typing import Any, Literal
from uuid import UUID

from pydantic import AliasChoices, BaseModel, ConfigDict, Field

from infinite_scribe.api.schemas.history import BranchOrigin
from infinite_scribe.api.schemas.proposals import ProposalDocument, with_stage
from infinite_scribe.domain.commands import JsonObject
from infinite_scribe.domain.genesis import GenesisState
from shared_types.enums import GenesisStage, GenesisStatus, TaskStatus


class CreateSessionRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    initial_user_input: JsonObject | None = None


class SessionCreated(BaseModel):
    session_id: UUID
    status: GenesisStatus
    current_stage: GenesisStage
    version: int
    correlation_id: UUID


# The writer's codex (issue 76): what the writer named, each entry with its role and where it
# came from; corrected with the `EditCodex` command.
class CodexEntryOut(BaseModel):
    kind: Literal["person", "place", "time", "object"]
    #: Kept verbatim by every generator.
    name: str
    #: `hero`, `rival` (people), `deadline` (times), `origin` (a place someone comes from), or
    #: another the writer set; null: none.
    role: str | None = None
    #: The writer's words that describe it.
    words: list[str] = Field(default_factory=list)
    #: Where it came from: the idea, a feedback, a structured edit, a confirmed stage.
    source: Literal["idea", "feedback", "edit", "stage"]
    #: The event that established it (an edit, a confirmed stage); null for the idea's read.
    event_id: UUID | None = None


class CodexOut(BaseModel):
    #: The writer's language (`zh` or `en`).
    language: str
    entries: list[CodexEntryOut]
    #: Words the writer marked "not a name": never read as an entry again.
    not_names: list[str] = Field(default_factory=list)
    #: The writer's renames so far: each first name -> the name now.
    renames: dict[str, str] = Field(default_factory=dict)

    @classmethod
    def of(cls, codex: Mapping[str, Any]) -> "CodexOut | None":
        """None: not read yet (it is read from the idea with the first proposal)."""
        return cls.model_validate(dict(codex)) if codex else None


class SessionStateOut(BaseModel):
    session_id: UUID
    status: GenesisStatus
    current_stage: GenesisStage
    is_pending: bool
    pending_command_type: str | None
    #: What the writer confirmed, by stage (GenesisStage value -> the confirmed data).
    confirmed_data: dict[str, Any]
    #: The current stage's proposal (with its `stage`): what ConfirmStage's `choice` picks from.
    last_result: ProposalDocument | None
    novel_id: UUID | None
    version: int
    #: In the trash: readable, but it takes no command until restored.
    trashed: bool = False
    trashed_at: datetime | None = None
    #: A branch's origin: the source session and the version it left from (null: created).
    branched_from: BranchOrigin | None = None
    #: What the writer named (issue 76), read from the idea with the first proposal (null
    #: until then); every generator is held to it; the writer corrects it with EditCodex.
    codex: CodexOut | None = None

    @classmethod
    def of(cls, state: GenesisState, trashed_at: datetime | None = None) -> "SessionStateOut":
        return cls(
            session_id=state.session_id,
            status=state.status,
            current_stage=state.current_stage,
            is_pending=state.is_pending,
            pending_command_type=state.pending_command_type,
            confirmed_data=dict(state.confirmed_data),
            last_result=with_stage(
                None if state.last_result is None else dict(state.last_result),
                state.current_stage.value,
            ),
            novel_id=state.novel_id,
            version=state.version,
            branched_from=None
            if state.branched_from is None
            else BranchOrigin.model_validate(dict(state.branched_from)),
            trashed=trashed_at is not None,
            trashed_at=trashed_at,
            codex=CodexOut.of(state.codex),
        )


class CommandReply(BaseModel):
    command_id: UUID
    status: str
    message: str
    correlation_id: UUID
    #: Async commands only: the task to follow (also in the `Location` header).
    task_id: UUID | None = None


class TaskOut(BaseModel):
    """An async task as its owner sees it."""

    task_id: UUID
    task_type: str
    status: TaskStatus
    progress: float
    message: str | None = None
    #: A generation's proposal (with its `stage`), once COMPLETED.
    result: ProposalDocument | None = None
    error: dict[str, Any] | None = None
    created_at: datetime
    started_at: datetime | None = None
    finished_at: datetime | None = None
    session_id: UUID | None = None
    command_id: UUID | None = None
    correlation_id: UUID | None = None


class ErrorBody(BaseModel):
    model_config = ConfigDict(extra="allow")

    error_code: str
    message: str


class DuplicateCommandBody(BaseModel):
    error_code: str = "DUPLICATE_COMMAND"
    message: str = "Command already processing"
    duplicate_command_id: UUID


class EventOut(BaseModel):
    id: int
    event_id: UUID
    event_type: str
    event_version: int
    aggregate_type: str
    aggregate_id: str
    aggregate_version: int
    correlation_id: UUID | None
    causation_id: UUID | None
    payload: dict[str, Any]
    metadata: dict[str, Any]
    #: When the event happened (its commit); the same name as on the stream and on Kafka.
    occurred_at: datetime = Field(validation_alias=AliasChoices("occurred_at", "created_at"))


class EventPage(BaseModel):
    events: list[EventOut]
    #: Opaque: pass as `cursor` to get the next page; null when this page is the last.
    next_cursor: str | None
