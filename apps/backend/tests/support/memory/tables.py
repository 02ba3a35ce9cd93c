"""The in-memory tables behind tests/support/memory/adapters.py, and `apply`: one `Write` applied
to them part by part in `PART_ORDER`, with the refusals of the SQL (a live idempotency record, a
repeated ledger row, the inbox's unique indexes, a stored event id or a taken version, the
snapshot's version check). The first refusal in that order is the one raised, as in SQL."""

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

import orjson

from infinite_scribe.application.ports.flows import FlowHandle
from infinite_scribe.application.ports.storage import InboxConflict
from infinite_scribe.application.ports.story_move import MemoryMove
from infinite_scribe.application.ports.writes import (
    PART_ORDER,
    AlreadyProcessed,
    ChaptersSave,
    EventAlreadyStored,
    FlowAlreadyWaiting,
    FlowHandleRow,
    InboxEntry,
    LedgerRow,
    NewNovel,
    NewSession,
    NewTask,
    ProposalInput,
    SessionRestore,
    SnapshotSave,
    Supersede,
    TaskFinish,
    TaskNotRunning,
    Write,
    check_events,
)
from infinite_scribe.domain.errors import ConcurrencyConflict, EventIdConflict
from infinite_scribe.domain.genesis import GenesisState, Restored
from shared_types import EventEnvelope
from shared_types.enums import HandleStatus

PENDING = ("RECEIVED", "PROCESSING")
UNFINISHED = ("PENDING", "RUNNING")
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
    handles: dict[UUID, FlowHandle] = field(default_factory=dict)
    #: When each handle last moved (the `updated_at` the flow sweeper reads).
    handle_moved: dict[UUID, datetime] = field(default_factory=dict)
    novels: dict[UUID, dict[str, Any]] = field(default_factory=dict)
    #: The story memory projection (issue 48): novel id -> version, memory, findings, chapters.
    story: dict[UUID, dict[str, Any]] = field(default_factory=dict)
    #: A restore's state by (session, seq): `session_restores` (decision 5403).
    restores: dict[tuple[UUID, int], Restored] = field(default_factory=dict)
    #: A batched outline's parts by (session, plan): `outline_parts` (decision 5404).
    outline_parts: dict[tuple[UUID, str], dict[int, dict[str, Any]]] = field(default_factory=dict)
    #: What each proposal was generated from, by its event id: `proposal_inputs` (issue 55).
    proposal_inputs: dict[UUID, ProposalInput] = field(default_factory=dict)


def apply(tables: Tables, write: Write) -> list[int]:
    """`write` on `tables` (already a copy: a refusal leaves the caller's tables untouched)."""
    ids: list[int] = []
    for name, value in write.declared():
        found = _APPLIERS[name](tables, value)
        if name == "events":
            ids = found
    return ids


def _ledger(tables: Tables, ledger: LedgerRow) -> None:
    if (ledger.consumer, ledger.event_id) in tables.ledger:
        raise AlreadyProcessed(ledger.consumer)
    tables.ledger.add((ledger.consumer, ledger.event_id))


def _session(tables: Tables, new: NewSession) -> None:
    state = new.state or GenesisState(
        session_id=new.session_id, user_id=new.user_id, version=new.version
    )
    tables.sessions[new.session_id] = {"state": state, "trashed_at": None}


def _inbox(tables: Tables, entry: InboxEntry) -> None:
    _insert_command(tables, entry.__dict__ | {"correlation_id": entry.command_id})


def _snapshot(tables: Tables, save: SnapshotSave) -> None:
    row = tables.sessions.get(save.state.session_id)
    if row is None or row["state"].version != save.old_version:
        raise ConcurrencyConflict("The session was changed concurrently")
    trashed_at = row["trashed_at"] if save.trash is None else save.trash.trashed_at
    tables.sessions[save.state.session_id] = {"state": save.state, "trashed_at": trashed_at}


def _supersede(tables: Tables, supersede: Supersede) -> None:
    for task in tables.tasks.values():
        if task["session_id"] == supersede.session_id and task["status"] in UNFINISHED:
            task["status"] = "CANCELLED"
    for command in tables.inbox.values():
        if command["aggregate_id"] == supersede.session_id and command["status"] in PENDING:
            command["status"] = "FAILED"


def _novel(tables: Tables, novel: NewNovel) -> None:
    tables.novels[novel.novel_id] = novel.__dict__


def _restore(tables: Tables, restore: SessionRestore) -> None:
    tables.restores[(restore.session_id, restore.seq)] = Restored(
        restore.confirmed_data, restore.last_result
    )


def _proposal_input(tables: Tables, found: ProposalInput) -> None:
    tables.proposal_inputs.setdefault(found.event_id, found)


def _chapters(tables: Tables, save: ChaptersSave) -> None:
    # The memory adapters serve genesis sessions only; a novel's chapters live in PostgreSQL.
    row = tables.novels.setdefault(save.state.novel_id, {})
    chapters = dict(row.get("chapters") or {}) | {k: dict(v) for k, v in save.changed.items()}
    row["chapters"] = {k: v for k, v in chapters.items() if int(k) not in save.removed}


def _story(tables: Tables, move: MemoryMove) -> None:
    """The story memory's move (persistence/writes/story_parts.py does it in SQL)."""
    row = tables.story.setdefault(
        move.novel_id, {"version": 0, "memory": None, "findings": {}, "chapters": {}}
    )
    if row["version"] != move.old_version:
        raise ConcurrencyConflict("The story memory was moved concurrently")
    row["version"], row["memory"] = move.version, move.memory
    for chapter in move.chapters:
        row["chapters"].pop(chapter.chapter, None)
        if chapter.event_id is not None:
            row["chapters"][chapter.chapter] = (chapter.event_id, list(chapter.marks))
    # As `evolve` computed them (domain/story_fold.py): stored as given.
    row["findings"].update({finding["id"]: dict(finding) for finding in move.findings})


def _task(tables: Tables, task: NewTask) -> None:
    tables.tasks[task.task_id] = task.__dict__ | {"status": "PENDING", "attempts": 0}


def _task_finish(tables: Tables, finish: TaskFinish) -> None:
    task = tables.tasks.get(finish.task_id)
    if task is None or task["status"] not in UNFINISHED:
        raise TaskNotRunning("async_tasks_not_running")
    _finish_task(tables, finish.task_id, finish.status)


def _flow_handle(tables: Tables, handle: FlowHandleRow) -> None:
    if handle.handle_id is None:
        register(tables, handle.correlation_id, handle.handle, handle.ttl_seconds)
        return
    if any(
        h.correlation_id == handle.correlation_id and h.status in WAITING
        for h in tables.handles.values()
    ):
        raise FlowAlreadyWaiting("idx_flow_resume_handles_unique_correlation")
    new = FlowHandle(
        handle.handle_id,
        handle.correlation_id,
        HandleStatus.PAUSED,
        dict(handle.handle),
        None,
        handle.expires_at,
    )
    tables.handles[new.handle_id] = new
    tables.handle_moved[new.handle_id] = datetime.now(UTC)


def _insert_command(tables: Tables, row: dict[str, Any]) -> None:
    if key_holder(tables, row["user_id"], row["idempotency_key"]) is not None:
        raise InboxConflict("uq_command_inbox_user_idempotency_key")
    mine = [
        other for other in tables.inbox.values() if other["aggregate_id"] == row["aggregate_id"]
    ]
    if row["status"] in PENDING and any(
        other["status"] in PENDING and other["command_type"] == row["command_type"]
        for other in mine
    ):
        raise InboxConflict("idx_command_inbox_unique_pending_command")
    tables.inbox[row["command_id"]] = row


def key_holder(tables: Tables, user_id: Any, key: str) -> dict[str, Any] | None:
    """The user's command that holds `key` (a key is the user's, as the SQL index says)."""
    found = (
        row
        for row in tables.inbox.values()
        if row["user_id"] == user_id and row["idempotency_key"] == key
    )
    return next(found, None)


def _append(tables: Tables, events: Sequence[EventEnvelope]) -> list[int]:
    check_events(events)
    # As the SQL reports it: a stored event id (other content first), then a taken version.
    stored = {e.event_id: _content(e) for e in tables.events}
    repeats = [e for e in events if e.event_id in stored]
    if any(stored[e.event_id] != _content(e) for e in repeats):
        raise EventIdConflict("An event id was written again with different content")
    if repeats:
        raise EventAlreadyStored(str(repeats[0].event_id))
    taken = {(e.aggregate_type, e.aggregate_id, e.aggregate_version) for e in tables.events}
    if any((e.aggregate_type, e.aggregate_id, e.aggregate_version) in taken for e in events):
        raise ConcurrencyConflict("The aggregate was changed concurrently")
    ids = []
    for event in events:
        tables.events.append(event)
        tables.outbox.append(event.event_id)
        ids.append(len(tables.events))
    return ids


def _content(event: EventEnvelope) -> tuple[object, ...]:
    # What the log compares (as stored JSON): not metadata, time or causes.
    payload = orjson.loads(orjson.dumps(event.payload))
    kind = (event.event_type, event.event_version, event.aggregate_type, event.aggregate_id)
    return (*kind, payload)


def _finish_task(tables: Tables, task_id: UUID, status: str) -> None:
    task = tables.tasks.get(task_id)
    if task is None or task["status"] not in UNFINISHED:
        return
    task["status"] = status
    command = tables.inbox.get(task["command_id"])
    if command is not None and command["status"] in PENDING:
        command["status"] = "COMPLETED" if status == "COMPLETED" else "FAILED"


def register(tables: Tables, correlation_id: str, handle: Mapping[str, Any], ttl: float) -> None:
    """A PENDING_PAUSE handle, unless the flow has a waiting one (the partial unique index)."""
    for existing in tables.handles.values():
        if existing.correlation_id == correlation_id and existing.status in WAITING:
            return
    expires = datetime.now(UTC) + timedelta(seconds=ttl)
    new = FlowHandle(
        uuid4(), correlation_id, HandleStatus.PENDING_PAUSE, dict(handle), None, expires
    )
    tables.handles[new.handle_id] = new
    tables.handle_moved[new.handle_id] = datetime.now(UTC)


#: How each part of a `Write` is applied, by its name in `PART_ORDER`.
_APPLIERS: dict[str, Callable[[Tables, Any], Any]] = {
    "ledger": _ledger,
    "session": _session,
    "inbox": _inbox,
    "events": _append,
    "snapshot": _snapshot,
    "supersede": _supersede,
    "novel": _novel,
    "restore": _restore,
    "proposal_input": _proposal_input,
    "chapters": _chapters,
    "story": _story,
    "task": _task,
    "task_finish": _task_finish,
    "flow_handle": _flow_handle,
}
assert set(_APPLIERS) == set(PART_ORDER), "every part of Write needs its memory applier"
