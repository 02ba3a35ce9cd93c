"""One Pydantic model per table, field names identical to the column names.

A row read from PostgreSQL validates into its model; a test compares these models with the live
columns in ``information_schema`` so the two cannot drift apart. NOT NULL columns are required
fields; nullable columns default to ``None``.
"""

from datetime import datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from shared_types.enums import (
    CommandStatus,
    GenesisStage,
    GenesisStatus,
    HandleStatus,
    IdempotencyState,
    NovelStatus,
    OutboxStatus,
    TaskStatus,
)

JsonObject = dict[str, Any]
JsonArray = list[Any]


class TableModel(BaseModel):
    """Base of the row models: unknown fields are an error, rows can come from any mapping."""

    model_config = ConfigDict(extra="forbid", from_attributes=True, frozen=True)
    __tablename__: str = ""


class DomainEventRow(TableModel):
    __tablename__ = "domain_events"

    id: int
    event_id: UUID
    correlation_id: UUID | None = None
    causation_id: UUID | None = None
    event_type: str
    event_version: int
    aggregate_type: str
    aggregate_id: str
    aggregate_version: int
    payload: JsonObject
    metadata: JsonObject
    created_at: datetime
    #: The partition it lives in: a stream of an archived session (decision 5101).
    archived: bool


class CommandInboxRow(TableModel):
    __tablename__ = "command_inbox"

    id: UUID
    session_id: UUID
    user_id: UUID | None = None
    command_type: str
    idempotency_key: str
    correlation_id: UUID | None = None
    payload: JsonObject
    status: CommandStatus
    error_message: str | None = None
    created_at: datetime
    updated_at: datetime
    #: The fingerprint of a keyed command's request: the row is its key's record (decision 7204).
    request_fingerprint: str | None = None


class AsyncTaskRow(TableModel):
    __tablename__ = "async_tasks"

    id: UUID
    task_type: str
    triggered_by_command_id: UUID | None = None
    status: TaskStatus
    progress: Decimal = Field(ge=0, le=100, max_digits=5, decimal_places=2)
    input_data: JsonObject | None = None
    result_data: JsonObject | None = None
    error_data: JsonObject | None = None
    created_at: datetime
    updated_at: datetime
    user_id: UUID | None = None
    session_id: UUID | None = None
    correlation_id: UUID | None = None
    request_event_id: UUID | None = None
    message: str | None = None
    attempts: int = Field(ge=0)
    started_at: datetime | None = None
    finished_at: datetime | None = None


class EventOutboxRow(TableModel):
    __tablename__ = "event_outbox"

    id: UUID
    position: int
    event_id: UUID | None = None
    topic: str
    key: str | None = None
    payload: JsonObject
    headers: JsonObject
    status: OutboxStatus
    attempts: int
    next_attempt_at: datetime
    claimed_by: str | None = None
    claimed_until: datetime | None = None
    last_error: str | None = None
    last_error_class: str | None = None
    error_details: JsonObject | None = None
    sent_at: datetime | None = None
    created_at: datetime
    updated_at: datetime


class FlowResumeHandleRow(TableModel):
    __tablename__ = "flow_resume_handles"

    id: UUID
    correlation_id: str
    resume_handle: JsonObject
    status: HandleStatus
    resume_payload: JsonObject | None = None
    expires_at: datetime | None = None
    created_at: datetime
    updated_at: datetime


class NovelRow(TableModel):
    __tablename__ = "novels"

    id: UUID
    user_id: UUID | None = None
    title: str
    logline: str | None = None
    theme: str | None = None
    writing_style: str | None = None
    status: NovelStatus
    target_chapters: int
    completed_chapters: int
    #: The confirmed stages of the Genesis that made it (empty for novels made another way).
    story: JsonObject
    worldview: JsonObject
    characters: JsonObject
    outline: JsonObject
    #: The projection of the novel's own stream (issue 39): the generation running and the
    #: stream's version; its chapters are `novel_chapters` rows (decision 5401).
    pending_chapter: JsonObject | None = None
    stream_version: int
    version: int
    created_at: datetime
    updated_at: datetime
    #: Since when its streams are in the archive (decision 5101); NULL: hot.
    archived_at: datetime | None = None


class NovelChapterRow(TableModel):
    """A chapter of a novel that has text (decision 5401): its status, text and beats."""

    __tablename__ = "novel_chapters"

    novel_id: UUID
    number: int
    status: str
    text: str | None = None
    beats: JsonArray
    #: A draft's open notes (issue 55): what it does not write of what the writer asked.
    notes: JsonArray
    #: A draft's continuity findings (issue 78): where it contradicts the story memory.
    findings: JsonArray


class NovelExportRow(TableModel):
    """A novel's file in one format, built as a job for one version of it (decision 5400)."""

    __tablename__ = "novel_exports"

    novel_id: UUID
    format: str
    novel_version: int
    stream_version: int
    task_id: UUID
    body: bytes | None = None
    failed: bool
    heartbeat_at: datetime
    built_at: datetime | None = None


class SessionFinishRow(TableModel):
    """The bible a session's finish made (the history's FINISHED version; decision 5402)."""

    __tablename__ = "session_finishes"

    session_id: UUID
    seq: int
    bible: JsonObject


class SessionRestoreRow(TableModel):
    """The state a rollback or branch restored, beside its event (decision 5403)."""

    __tablename__ = "session_restores"

    session_id: UUID
    seq: int
    confirmed_data: JsonObject
    last_result: JsonObject | None = None


class ProposalInputRow(TableModel):
    """What a proposal was generated from (issue 55): the request, and a model's messages."""

    __tablename__ = "proposal_inputs"

    event_id: UUID
    session_id: UUID
    request: JsonObject
    messages: JsonArray | None = None
    created_at: datetime


class GenesisSessionRow(TableModel):
    __tablename__ = "genesis_sessions"

    id: UUID
    novel_id: UUID | None = None
    user_id: UUID
    status: GenesisStatus
    current_stage: GenesisStage
    confirmed_data: JsonObject
    pending_command_type: str | None = None
    last_result: JsonObject | None = None
    version: int
    trashed_at: datetime | None = None
    created_at: datetime
    updated_at: datetime
    #: A branch's origin {"session_id", "event_id"[, "title"]} (issue 37); NULL: created.
    branched_from: JsonObject | None = None
    #: Since when its streams are in the archive (decision 5101); NULL: hot.
    archived_at: datetime | None = None
    #: The writer's codex (issue 76, decision 7601): `Codex.as_json()`; empty until read.
    codex: JsonObject


class IdempotencyCacheRow(TableModel):
    __tablename__ = "idempotency_cache"

    scope: str
    key: str
    fingerprint: str
    state: IdempotencyState
    lease_expires_at: datetime | None = None
    response_status: int | None = None
    response_headers: JsonObject | None = None
    response_body: bytes | None = None
    created_at: datetime
    completed_at: datetime | None = None
    expires_at: datetime


class ProcessedMessageRow(TableModel):
    """A message a consumer has handled (its results committed): redeliveries are skipped."""

    __tablename__ = "processed_messages"

    consumer: str
    event_id: UUID
    processed_at: datetime


class StreamTicketRow(TableModel):
    """A single-use ticket for the live event stream, bound to a user and a session (only the
    SHA-256 of the ticket is stored; `used_at` set = spent)."""

    __tablename__ = "stream_tickets"

    ticket_hash: bytes
    user_id: UUID
    session_id: UUID
    expires_at: datetime
    used_at: datetime | None = None
    created_at: datetime


class StreamFollowRow(TableModel):
    """A followed live stream (a session's or a novel's): someone has it open until
    `expires_at` (API processes move it forward while they serve it); workers send drafts only
    to followed streams."""

    __tablename__ = "stream_follows"

    session_id: UUID
    expires_at: datetime


class OperatorAuditRow(TableModel):
    """One operator action from the console: who (`actor_id`), what (`action`, `target`),
    when, and how many rows it changed; `action_id` is unique per submitted form; written
    before the action runs, `finished_at` set when it has."""

    __tablename__ = "operator_audit"

    id: UUID
    action_id: UUID
    actor_id: UUID
    action: str
    target: JsonObject
    row_count: int
    created_at: datetime
    #: None while the action runs.
    finished_at: datetime | None = None


class DeadLetterDispositionRow(TableModel):
    """A dead letter (topic, partition, offset) an operator replayed or discarded."""

    __tablename__ = "dead_letter_dispositions"

    topic: str
    partition: int
    offset: int
    disposition: str
    action_id: UUID
    created_at: datetime


#: Every table of the data model with its row model (the drift test walks this list).
TABLE_MODELS: tuple[type[TableModel], ...] = (
    DomainEventRow,
    CommandInboxRow,
    AsyncTaskRow,
    EventOutboxRow,
    FlowResumeHandleRow,
    NovelRow,
    NovelChapterRow,
    NovelExportRow,
    SessionFinishRow,
    SessionRestoreRow,
    ProposalInputRow,
    GenesisSessionRow,
    IdempotencyCacheRow,
    ProcessedMessageRow,
    StreamTicketRow,
    StreamFollowRow,
    OperatorAuditRow,
    DeadLetterDispositionRow,
)
