"""The in-memory tables behind tests/support/memory.py, and `apply`: one `Write` applied to
them with the refusals of the SQL (the unique (aggregate, version) and event id, the snapshot's
version check, the inbox's unique indexes, a live idempotency record, a repeated ledger row)."""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

from infinite_scribe.application.ports.flows import FlowHandle
from infinite_scribe.application.ports.storage import InboxConflict
from infinite_scribe.application.ports.writes import (
    AlreadyProcessed,
    EventAlreadyStored,
    IdempotencyKeyTaken,
    Write,
)
from infinite_scribe.domain.errors import ConcurrencyConflict
from infinite_scribe.domain.event_names import validate_event_name
from infinite_scribe.domain.genesis import GenesisState
from shared_types import EventEnvelope
from shared_types.enums import HandleStatus

PENDING = ("RECEIVED", "PROCESSING")
WAITING = (HandleStatus.PENDING_PAUSE, HandleStatus.PAUSED)


@dataclass
class Tables:
    """The rows the ports read and write, keyed like their unique indexes."""

    sessions: dict[UUID, dict[str, Any]] = field(default_factory=dict)
    events: list[EventEnvelope] = field(default_factory=list)
    outbox: list[UUID] = field(default_factory=list)
    inbox: dict[UUID, dict[str, Any]] = field(default_factory=dict)
    tasks: dict[UUID, dict[str, Any]] = field(default_factory=dict)
    ledger: set[tuple[str, UUID]] = field(default_factory=set)
    keys: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    handles: dict[UUID, FlowHandle] = field(default_factory=dict)
    novels: dict[UUID, dict[str, Any]] = field(default_factory=dict)


def apply(tables: Tables, write: Write) -> list[int]:
    """`write` on `tables` (already a copy: a refusal leaves the caller's tables untouched)."""
    now = datetime.now(UTC)
    if (record := write.idempotency) is not None:
        held = tables.keys.get((record.scope, record.key))
        if held is not None and held["expires_at"] > now:
            raise IdempotencyKeyTaken(record.key)
        expires = now + timedelta(seconds=record.ttl_seconds)
        tables.keys[(record.scope, record.key)] = {"record": record, "expires_at": expires}
    if (ledger := write.ledger) is not None:
        if (ledger.consumer, ledger.event_id) in tables.ledger:
            raise AlreadyProcessed(ledger.consumer)
        tables.ledger.add((ledger.consumer, ledger.event_id))
    if (new := write.session) is not None:
        state = GenesisState(session_id=new.session_id, user_id=new.user_id, version=new.version)
        tables.sessions[new.session_id] = {"state": state, "trashed_at": None}
    if (entry := write.inbox) is not None:
        _insert_command(tables, entry.__dict__ | {"correlation_id": entry.command_id})
    ids = _append(tables, write.events)
    if (save := write.snapshot) is not None:
        row = tables.sessions.get(save.state.session_id)
        if row is None or row["state"].version != save.old_version:
            raise ConcurrencyConflict("The session was changed concurrently")
        trashed_at = row["trashed_at"] if save.trash is None else save.trash.trashed_at
        tables.sessions[save.state.session_id] = {"state": save.state, "trashed_at": trashed_at}
    if (supersede := write.supersede) is not None:
        for task in tables.tasks.values():
            if task["session_id"] == supersede.session_id and task["status"] in (
                "PENDING",
                "RUNNING",
            ):
                task["status"] = "CANCELLED"
        for command in tables.inbox.values():
            if command["aggregate_id"] == supersede.session_id and command["status"] in PENDING:
                command["status"] = "FAILED"
    if (novel := write.novel) is not None:
        tables.novels[novel.novel_id] = novel.__dict__
    if (task := write.task) is not None:
        tables.tasks[task.task_id] = task.__dict__ | {"status": "PENDING", "attempts": 0}
    if (finish := write.task_finish) is not None:
        _finish_task(tables, finish.task_id, finish.status)
    if (handle := write.flow_handle) is not None:
        _register(tables, handle.correlation_id, handle.handle, handle.ttl_seconds)
    if write.extra:
        raise NotImplementedError("extra parts are SQL parts")
    return ids


def _insert_command(tables: Tables, row: dict[str, Any]) -> None:
    for other in tables.inbox.values():
        if other["aggregate_id"] != row["aggregate_id"]:
            continue
        if other["idempotency_key"] == row["idempotency_key"]:
            raise InboxConflict("uq_command_inbox_session_idempotency_key")
        pending = row["status"] in PENDING and other["status"] in PENDING
        if pending and other["command_type"] == row["command_type"]:
            raise InboxConflict("idx_command_inbox_unique_pending_command")
    tables.inbox[row["command_id"]] = row


def _append(tables: Tables, events: Sequence[EventEnvelope]) -> list[int]:
    ids = []
    for event in events:
        validate_event_name(event.event_type)
        for stored in tables.events:
            if stored.event_id == event.event_id:
                raise EventAlreadyStored(str(event.event_id))
            same = (stored.aggregate_type, stored.aggregate_id, stored.aggregate_version)
            if same == (event.aggregate_type, event.aggregate_id, event.aggregate_version):
                raise ConcurrencyConflict("The aggregate was changed concurrently")
        tables.events.append(event)
        tables.outbox.append(event.event_id)
        ids.append(len(tables.events))
    return ids


def _finish_task(tables: Tables, task_id: UUID, status: str) -> None:
    task = tables.tasks.get(task_id)
    if task is None or task["status"] not in ("PENDING", "RUNNING"):
        return
    task["status"] = status
    command = tables.inbox.get(task["command_id"])
    if command is not None and command["status"] in PENDING:
        command["status"] = "COMPLETED" if status == "COMPLETED" else "FAILED"


def _register(tables: Tables, correlation_id: str, handle: Mapping[str, Any], ttl: float) -> None:
    for existing in tables.handles.values():
        if existing.correlation_id == correlation_id and existing.status in WAITING:
            return
    expires = datetime.now(UTC) + timedelta(seconds=ttl)
    new = FlowHandle(
        uuid4(), correlation_id, HandleStatus.PENDING_PAUSE, dict(handle), None, expires
    )
    tables.handles[new.handle_id] = new
