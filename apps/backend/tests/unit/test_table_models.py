"""Row models accept valid rows and reject wrong types, unknown and missing fields."""

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any
from uuid import uuid4

import pytest
from pydantic import ValidationError

from shared_types import (
    TABLE_MODELS,
    AsyncTaskRow,
    CommandInboxRow,
    DeadLetterDispositionRow,
    DomainEventRow,
    EventOutboxRow,
    FlowResumeHandleRow,
    GenesisSessionRow,
    IdempotencyCacheRow,
    NovelChapterRow,
    NovelExportRow,
    NovelRow,
    OperatorAuditRow,
    ProcessedMessageRow,
    ProposalInputRow,
    SessionFinishRow,
    SessionRestoreRow,
    StreamFollowRow,
    StreamTicketRow,
    TableModel,
)

NOW = datetime(2026, 1, 1, tzinfo=UTC)

VALID: dict[type[TableModel], dict[str, Any]] = {
    DomainEventRow: {
        "id": 1,
        "event_id": uuid4(),
        "event_type": "Genesis.Session.Created",
        "event_version": 1,
        "aggregate_type": "GENESIS_SESSION",
        "aggregate_id": "a",
        "aggregate_version": 1,
        "payload": {},
        "metadata": {},
        "created_at": NOW,
        "archived": False,
    },
    CommandInboxRow: {
        "id": uuid4(),
        "session_id": uuid4(),
        "command_type": "ConfirmStage",
        "idempotency_key": "k",
        "payload": {},
        "status": "RECEIVED",
        "created_at": NOW,
        "updated_at": NOW,
    },
    AsyncTaskRow: {
        "id": uuid4(),
        "task_type": "concept",
        "status": "RUNNING",
        "progress": "12.50",
        "attempts": 0,
        "created_at": NOW,
        "updated_at": NOW,
    },
    EventOutboxRow: {
        "id": uuid4(),
        "position": 1,
        "topic": "domain-events",
        "payload": {"a": 1},
        "headers": {},
        "status": "PENDING",
        "attempts": 0,
        "next_attempt_at": NOW,
        "created_at": NOW,
        "updated_at": NOW,
    },
    FlowResumeHandleRow: {
        "id": uuid4(),
        "correlation_id": "c",
        "resume_handle": {},
        "status": "PAUSED",
        "created_at": NOW,
        "updated_at": NOW,
    },
    NovelRow: {
        "id": uuid4(),
        "title": "t",
        "story": {},
        "worldview": {},
        "characters": {},
        "outline": {},
        "stream_version": 0,
        "status": "GENESIS",
        "target_chapters": 0,
        "completed_chapters": 0,
        "version": 1,
        "created_at": NOW,
        "updated_at": NOW,
    },
    NovelChapterRow: {
        "novel_id": uuid4(),
        "number": 1,
        "status": "DRAFTED",
        "text": "第一章",
        "beats": ["雨夜"],
        "notes": ['Not written into this draft: "More dialogue."'],
        "findings": [{"kind": "dead_character_acts", "who": "林舟", "chapter": 1}],
    },
    NovelExportRow: {
        "novel_id": uuid4(),
        "format": "epub",
        "novel_version": 1,
        "stream_version": 4,
        "task_id": uuid4(),
        "failed": False,
        "heartbeat_at": NOW,
    },
    SessionFinishRow: {"session_id": uuid4(), "seq": 12, "bible": {"title": "雾港"}},
    SessionRestoreRow: {
        "session_id": uuid4(),
        "seq": 9,
        "confirmed_data": {"CONCEPT_SELECTION": {"title": "雾港"}},
        "last_result": None,
    },
    ProposalInputRow: {
        "event_id": uuid4(),
        "session_id": uuid4(),
        "request": {"stage": "WORLDVIEW", "feedback": None},
        "messages": [{"role": "system", "content": "..."}],
        "created_at": NOW,
    },
    GenesisSessionRow: {
        "id": uuid4(),
        "user_id": uuid4(),
        "status": "IN_PROGRESS",
        "current_stage": "CONCEPT_SELECTION",
        "confirmed_data": {},
        "version": 0,
        "created_at": NOW,
        "updated_at": NOW,
        "codex": {},
    },
    IdempotencyCacheRow: {
        "scope": "user:1",
        "key": "k",
        "fingerprint": "f",
        "state": "COMPLETED",
        "response_status": 201,
        "response_body": b"{}",
        "created_at": NOW,
        "expires_at": NOW,
    },
    ProcessedMessageRow: {"consumer": "agent-worker", "event_id": uuid4(), "processed_at": NOW},
    StreamFollowRow: {"session_id": uuid4(), "expires_at": NOW},
    StreamTicketRow: {
        "ticket_hash": b"\x00" * 32,
        "user_id": uuid4(),
        "session_id": uuid4(),
        "expires_at": NOW,
        "created_at": NOW,
    },
    OperatorAuditRow: {
        "id": uuid4(),
        "action_id": uuid4(),
        "actor_id": uuid4(),
        "action": "outbox.requeue",
        "target": {"row_id": "x"},
        "row_count": 1,
        "created_at": NOW,
    },
    DeadLetterDispositionRow: {
        "topic": "domain-events.dlq",
        "partition": 0,
        "offset": 7,
        "disposition": "REPLAYED",
        "action_id": uuid4(),
        "created_at": NOW,
    },
}

#: One field per model and a value of the wrong type for it.
WRONG_TYPE = {
    DomainEventRow: ("event_id", "not-a-uuid"),
    CommandInboxRow: ("status", "DONE"),
    AsyncTaskRow: ("progress", "lots"),
    EventOutboxRow: ("payload", "not an object"),
    FlowResumeHandleRow: ("status", "WAITING"),
    NovelRow: ("target_chapters", "many"),
    NovelChapterRow: ("number", "first"),
    NovelExportRow: ("heartbeat_at", "now"),
    SessionFinishRow: ("bible", "not an object"),
    SessionRestoreRow: ("confirmed_data", ["not", "an", "object"]),
    ProposalInputRow: ("request", ["not", "an", "object"]),
    GenesisSessionRow: ("current_stage", "EPILOGUE"),
    IdempotencyCacheRow: ("expires_at", "tomorrow"),
    ProcessedMessageRow: ("event_id", "not-a-uuid"),
    StreamFollowRow: ("expires_at", "soon"),
    StreamTicketRow: ("session_id", "not-a-uuid"),
    OperatorAuditRow: ("row_count", "many"),
    DeadLetterDispositionRow: ("offset", "end"),
}


def test_every_model_has_a_sample() -> None:
    assert set(VALID) == set(TABLE_MODELS) == set(WRONG_TYPE)


@pytest.mark.parametrize("model", TABLE_MODELS, ids=lambda m: m.__tablename__)
def test_valid_row_is_accepted(model: type[TableModel]) -> None:
    row = model.model_validate(VALID[model])
    assert row.model_dump()[next(iter(VALID[model]))] is not None


@pytest.mark.parametrize("model", TABLE_MODELS, ids=lambda m: m.__tablename__)
def test_wrong_type_is_rejected(model: type[TableModel]) -> None:
    field, value = WRONG_TYPE[model]
    with pytest.raises(ValidationError) as raised:
        model.model_validate({**VALID[model], field: value})
    assert raised.value.errors()[0]["loc"][0] == field


@pytest.mark.parametrize("model", TABLE_MODELS, ids=lambda m: m.__tablename__)
def test_missing_required_field_is_rejected(model: type[TableModel]) -> None:
    required = [name for name, info in model.model_fields.items() if info.is_required()]
    for name in required:
        data = {key: value for key, value in VALID[model].items() if key != name}
        with pytest.raises(ValidationError):
            model.model_validate(data)


@pytest.mark.parametrize("model", TABLE_MODELS, ids=lambda m: m.__tablename__)
def test_unknown_field_is_rejected(model: type[TableModel]) -> None:
    with pytest.raises(ValidationError):
        model.model_validate({**VALID[model], "surprise": 1})


def test_progress_is_a_bounded_decimal() -> None:
    task = AsyncTaskRow.model_validate(VALID[AsyncTaskRow])
    assert task.progress == Decimal("12.50")
    with pytest.raises(ValidationError):
        AsyncTaskRow.model_validate({**VALID[AsyncTaskRow], "progress": "100.5"})
    with pytest.raises(ValidationError):
        AsyncTaskRow.model_validate({**VALID[AsyncTaskRow], "progress": "1.234"})
