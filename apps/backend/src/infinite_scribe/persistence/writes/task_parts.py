"""The SQL of the parts of a `Write` that tasks and agents write: a command's task, an agent's
ledger row, task finish and flow handle (the generic parts are in writes/parts.py, the genesis
session's in writes/genesis_parts.py). Every class is a `StatementPart` (writes/statement.py)."""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from infinite_scribe.application.ports.writes import FlowHandleRow, LedgerRow, NewTask, TaskFinish
from infinite_scribe.persistence.errors import FLOW_WAITING_INDEX, LEDGER_KEY, TASK_NOT_RUNNING
from infinite_scribe.persistence.writes.parts import insert_row, missing
from infinite_scribe.persistence.writes.statement import Placeholder, PlainPart, Refusal

#: The columns of a new task and their types.
_TASK_COLUMNS = {
    "id": "uuid",
    "task_type": "text",
    "triggered_by_command_id": "uuid",
    "user_id": "uuid",
    "session_id": "uuid",
    "correlation_id": "uuid",
    "request_event_id": "uuid",
    "input_data": "jsonb",
}


@dataclass(frozen=True)
class LedgerPart(PlainPart):
    row: LedgerRow
    part = "ledger"

    def ctes(self, p: Placeholder) -> Sequence[tuple[str, str]]:
        # A redelivery meets the primary key, writes no row and is refused (AlreadyProcessed).
        columns = {"consumer": "text", "event_id": "uuid"}
        row = insert_row(p, "processed_messages", columns, "\nON CONFLICT DO NOTHING")
        return [("ledger", row)]

    def refusals(self, p: Placeholder) -> Sequence[Refusal]:
        return [Refusal(missing("ledger"), "23505", LEDGER_KEY)]

    def values(self) -> Mapping[str, Any]:
        return {"consumer": self.row.consumer, "event_id": self.row.event_id}


@dataclass(frozen=True)
class TaskPart(PlainPart):
    task: NewTask
    part = "task"

    def ctes(self, p: Placeholder) -> Sequence[tuple[str, str]]:
        return [("task", insert_row(p, "async_tasks", _TASK_COLUMNS))]

    def values(self) -> Mapping[str, Any]:
        t = self.task
        return {
            "id": t.task_id,
            "task_type": t.task_type,
            "triggered_by_command_id": t.command_id,
            "user_id": t.user_id,
            "session_id": t.session_id,
            "correlation_id": t.correlation_id,
            "request_event_id": t.request_event_id,
            "input_data": dict(t.input_data),
        }


@dataclass(frozen=True)
class TaskFinishPart(PlainPart):
    finish: TaskFinish
    part = "task_finish"

    def ctes(self, p: Placeholder) -> Sequence[tuple[str, str]]:
        # The task takes its command along: COMPLETED -> COMPLETED, otherwise FAILED, which
        # frees the partial unique index of pending commands.
        return [
            (
                "finished_task",
                f"UPDATE async_tasks SET status = {p('status')}::task_status, "
                f"result_data = {p('result')}::jsonb, error_data = {p('error')}::jsonb, "
                f"message = {p('message')}::text, "
                f"progress = CASE WHEN {p('status')}::text = 'COMPLETED' THEN 100 "
                "ELSE progress END, finished_at = clock_timestamp(), updated_at = now()\n"
                f"WHERE id = {p('id')}::uuid AND status IN ('PENDING', 'RUNNING') "
                "RETURNING triggered_by_command_id",
            ),
            (
                "finished_command",
                "UPDATE command_inbox c SET status = (CASE WHEN "
                f"{p('status')}::text = 'COMPLETED' THEN 'COMPLETED' ELSE 'FAILED' END)"
                "::command_status, error_message = CASE WHEN "
                f"{p('status')}::text = 'COMPLETED' THEN NULL ELSE {p('message')}::text END, "
                "updated_at = now()\n"
                "FROM finished_task WHERE c.id = finished_task.triggered_by_command_id "
                "AND c.status IN ('RECEIVED', 'PROCESSING') RETURNING 1",
            ),
        ]

    def refusals(self, p: Placeholder) -> Sequence[Refusal]:
        # A task cancelled (or finished) since its worker read it: the answer is not written
        # (the agent's optimistic answer, issue 40, writes its ledger row alone then).
        return [Refusal(missing("finished_task"), "23514", TASK_NOT_RUNNING)]

    def values(self) -> Mapping[str, Any]:
        f = self.finish
        return {
            "id": f.task_id,
            "status": f.status,
            "result": None if f.result is None else dict(f.result),
            "error": None if f.error is None else dict(f.error),
            "message": f.message,
        }


@dataclass(frozen=True)
class FlowHandlePart(PlainPart):
    row: FlowHandleRow
    part = "flow_handle"

    def ctes(self, p: Placeholder) -> Sequence[tuple[str, str]]:
        # A flow already waiting keeps its handle (the partial unique index, named by its
        # predicate): registering again is a no-op.
        return [
            (
                "flow_handle",
                "INSERT INTO flow_resume_handles (correlation_id, resume_handle, expires_at) "
                f"VALUES ({p('correlation_id')}::text, {p('handle')}::jsonb, "
                f"now() + make_interval(secs => {p('ttl')}::float8))\n"
                f"{_WAITING_CONFLICT} RETURNING 1",
            )
        ]

    def values(self) -> Mapping[str, Any]:
        r = self.row
        return {
            "correlation_id": r.correlation_id,
            "handle": dict(r.handle),
            "ttl": float(r.ttl_seconds),
        }


_WAITING_CONFLICT = (
    "ON CONFLICT (correlation_id) WHERE status IN ('PENDING_PAUSE', 'PAUSED') DO NOTHING"
)


@dataclass(frozen=True)
class PausedHandlePart(PlainPart):
    """A handle inserted PAUSED (id and expiry given) with its FlowPaused event in the same
    write: refused when the flow has a waiting handle already, so that no FlowPaused event is
    written for a handle that is not (the agent then writes its answer without a pause)."""

    row: FlowHandleRow
    shape = "flow_handle:paused"
    part = "flow_handle"

    def ctes(self, p: Placeholder) -> Sequence[tuple[str, str]]:
        return [
            (
                "flow_handle",
                "INSERT INTO flow_resume_handles (id, correlation_id, resume_handle, status, "
                f"expires_at) VALUES ({p('id')}::uuid, {p('correlation_id')}::text, "
                f"{p('handle')}::jsonb, 'PAUSED', {p('expires_at')}::timestamptz)\n"
                # Every unique index an arbiter: the flow's waiting handle, and the id (the
                # same answer's handle, no longer waiting once the writer replied to it: a
                # repeat, reported by the events' refusal, which ranks first).
                "ON CONFLICT DO NOTHING RETURNING 1",
            )
        ]

    def refusals(self, p: Placeholder) -> Sequence[Refusal]:
        return [Refusal(missing("flow_handle"), "23505", FLOW_WAITING_INDEX)]

    def values(self) -> Mapping[str, Any]:
        r = self.row
        return {
            "id": r.handle_id,
            "correlation_id": r.correlation_id,
            "handle": dict(r.handle),
            "expires_at": r.expires_at,
        }


def flow_handle_part(row: FlowHandleRow) -> FlowHandlePart | PausedHandlePart:
    """The part of a flow handle: PAUSED with its event when its id is given (composer.py)."""
    return FlowHandlePart(row) if row.handle_id is None else PausedHandlePart(row)
