"""Request and response bodies of the genesis and event routes."""

from datetime import datetime
from typing import Any
from uuid import UUID

from pydantic import BaseModel, ConfigDict

from infinite_scribe.api.schemas.commands import CommandRequest as CommandRequest
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
    confirmed_data: dict[str, Any]
    last_result: dict[str, Any] | None
    novel_id: UUID | None
    version: int
    #: In the trash: readable, but it takes no command until restored.
    trashed: bool = False
    trashed_at: datetime | None = None

    @classmethod
    def of(cls, state: GenesisState, trashed_at: datetime | None = None) -> "SessionStateOut":
        return cls(
            session_id=state.session_id,
            status=state.status,
            current_stage=state.current_stage,
            is_pending=state.is_pending,
            pending_command_type=state.pending_command_type,
            confirmed_data=dict(state.confirmed_data),
            last_result=None if state.last_result is None else dict(state.last_result),
            novel_id=state.novel_id,
            version=state.version,
            trashed=trashed_at is not None,
            trashed_at=trashed_at,
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
    result: dict[str, Any] | None = None
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
    created_at: datetime


class EventPage(BaseModel):
    events: list[EventOut]
    #: Pass as `after` to get the next page; null when this page is the last.
    next_after: int | None
