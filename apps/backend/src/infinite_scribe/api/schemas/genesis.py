"""Request and response bodies of the genesis and event routes."""

from datetime import datetime
from typing import Any
from uuid import UUID

from pydantic import AliasChoices, BaseModel, ConfigDict, Field

from infinite_scribe.api.schemas.codex import CodexOut
from infinite_scribe.api.schemas.commands import CommandRequest as CommandRequest
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
