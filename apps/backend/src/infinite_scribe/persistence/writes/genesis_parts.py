"""The SQL of the genesis session's parts of a `Write`: a new session's row, the snapshot's
version-checked move, the pending commands a sync command supersedes, the novel a finished
session makes (`StatementPart`s, persistence/writes/statement.py)."""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from infinite_scribe.application.ports.projections import state_columns
from infinite_scribe.application.ports.writes import (
    NewNovel,
    NewSession,
    ProposalInput,
    SessionRestore,
    SnapshotSave,
    Supersede,
)
from infinite_scribe.persistence.writes.parts import assignments, insert_row, missing
from infinite_scribe.persistence.writes.statement import Placeholder, PlainPart, Refusal

#: What a snapshot that moved meanwhile reports (with SQLSTATE 40001: a lost race, retried).
SNAPSHOT_VERSION_CHECK = "genesis_sessions_version"
#: The columns of a new novel (the bible's fields) and their types.
_NOVEL_COLUMNS = {
    "id": "uuid",
    "user_id": "uuid",
    "title": "text",
    "logline": "text",
    "theme": "text",
    "writing_style": "text",
    "target_chapters": "int",
    "story": "jsonb",
    "worldview": "jsonb",
    "characters": "jsonb",
    "outline": "jsonb",
}


#: The columns of a session's state (`state_columns`) and their types: what a snapshot's move
#: sets, and (with its origin) what a branch's first row holds.
_STATE_COLUMNS = {
    "status": "genesis_status",
    "current_stage": "genesis_stage",
    "confirmed_data": "jsonb",
    "pending_command_type": "text",
    "last_result": "jsonb",
    "novel_id": "uuid",
    "version": "int",
    "codex": "jsonb",
}


@dataclass(frozen=True)
class NewSessionPart(PlainPart):
    session: NewSession
    part = "session"

    @property
    def shape(self) -> str:
        # A branch's row carries its whole first state: another statement than a blank one.
        return "new_session" if self.session.state is None else "new_branch"

    def ctes(self, p: Placeholder) -> Sequence[tuple[str, str]]:
        columns = {"id": "uuid", "user_id": "uuid", "version": "int"}
        if self.session.state is not None:
            columns |= {**_STATE_COLUMNS, "branched_from": "jsonb"}
        return [("new_session", insert_row(p, "genesis_sessions", columns))]

    def values(self) -> Mapping[str, Any]:
        s = self.session
        values = {"id": s.session_id, "user_id": s.user_id, "version": s.version}
        if s.state is not None:
            origin = s.state.branched_from
            values |= state_columns(s.state)
            values["branched_from"] = None if origin is None else dict(origin)
        return values


@dataclass(frozen=True)
class SnapshotPart(PlainPart):
    save: SnapshotSave
    part = "snapshot"

    def ctes(self, p: Placeholder) -> Sequence[tuple[str, str]]:
        # Version-checked: under READ COMMITTED the WHERE is re-checked on the newest row
        # version, so a writer that moved the snapshot since our read makes this update
        # nothing, and the write is refused (40001 -> the command runs again). An archived
        # session refuses the same way: its writer brings it back first (decision 5101).
        return [
            (
                "snapshot",
                f"UPDATE genesis_sessions SET {assignments(p, _STATE_COLUMNS)}, "
                f"trashed_at = CASE WHEN {p('move_trash')}::bool "
                f"THEN {p('trashed_at')}::timestamptz ELSE trashed_at END, updated_at = now()\n"
                f"WHERE id = {p('id')}::uuid AND version = {p('old_version')}::int "
                "AND archived_at IS NULL RETURNING 1",
            )
        ]

    def refusals(self, p: Placeholder) -> Sequence[Refusal]:
        return [Refusal(missing("snapshot"), "40001", SNAPSHOT_VERSION_CHECK)]

    def values(self) -> Mapping[str, Any]:
        state = self.save.state
        trash = self.save.trash
        return {
            "id": state.session_id,
            "old_version": self.save.old_version,
            **state_columns(state),
            "move_trash": trash is not None,
            "trashed_at": None if trash is None else trash.trashed_at,
        }


@dataclass(frozen=True)
class SupersedePart(PlainPart):
    supersede: Supersede
    part = "supersede"

    def ctes(self, p: Placeholder) -> Sequence[tuple[str, str]]:
        # Confirming or abandoning makes pending requests moot; left RECEIVED they would block
        # the next stage's request (the partial unique index).
        return [
            (
                "superseded_tasks",
                "UPDATE async_tasks SET status = 'CANCELLED', message = "
                f"{p('message')}::text, finished_at = clock_timestamp(), updated_at = now() "
                f"WHERE session_id = {p('session_id')}::uuid AND status IN ('PENDING', 'RUNNING') "
                "RETURNING 1",
            ),
            (
                "superseded_commands",
                "UPDATE command_inbox SET status = 'FAILED', updated_at = now(), "
                f"error_message = {p('message')}::text "
                f"WHERE session_id = {p('session_id')}::uuid "
                "AND status IN ('RECEIVED', 'PROCESSING') RETURNING 1",
            ),
        ]

    def values(self) -> Mapping[str, Any]:
        s = self.supersede
        return {"session_id": s.session_id, "message": f"Superseded by {s.by_command_type}"}


@dataclass(frozen=True)
class NovelPart(PlainPart):
    novel: NewNovel
    part = "novel"

    def ctes(self, p: Placeholder) -> Sequence[tuple[str, str]]:
        # A session that finishes again after a rollback rewrites its own novel (same id);
        # the content it had is still in the log (the history's FINISHED versions).
        updates = ", ".join(f"{name} = EXCLUDED.{name}" for name in _NOVEL_COLUMNS if name != "id")
        tail = f"\nON CONFLICT (id) DO UPDATE SET {updates}, version = novels.version + 1"
        # The bible as this finish made it, for the history (decision 5402).
        fields = ", ".join(
            f"'{name}', {p(name)}::{cast}"
            for name, cast in _NOVEL_COLUMNS.items()
            if name[-2:] != "id"
        )
        keep = (
            "INSERT INTO session_finishes (session_id, seq, bible)\n"
            f"VALUES ({p('session_id')}::uuid, {p('seq')}::int, jsonb_build_object({fields}))\n"
            "RETURNING 1"
        )
        return [("novel", insert_row(p, "novels", _NOVEL_COLUMNS, tail)), ("finish", keep)]

    def values(self) -> Mapping[str, Any]:
        n = self.novel
        # The bible's fields as they are (`asdict` deep-copied every stage's content, only to
        # be encoded): its columns are flat, the jsonb ones dicts the codec encodes.
        ids = {"id": n.novel_id, "user_id": n.user_id, "session_id": n.session_id, "seq": n.seq}
        return ids | vars(n.bible)


@dataclass(frozen=True)
class ProposalInputPart(PlainPart):
    """What a proposal was generated from, beside it (issue 55). A redelivered answer's row is
    already there: the events part refuses that write first."""

    proposal_input: ProposalInput
    part = "proposal_input"

    def ctes(self, p: Placeholder) -> Sequence[tuple[str, str]]:
        columns = {"event_id": "uuid", "session_id": "uuid", "request": "jsonb"}
        tail = "\nON CONFLICT (event_id) DO NOTHING"
        return [
            (
                "proposal_input",
                insert_row(p, "proposal_inputs", columns | {"messages": "jsonb"}, tail),
            )
        ]

    def values(self) -> Mapping[str, Any]:
        found = self.proposal_input
        return {
            "event_id": found.event_id,
            "session_id": found.session_id,
            "request": found.request,
            "messages": None if found.messages is None else list(found.messages),
        }


@dataclass(frozen=True)
class RestorePart(PlainPart):
    """The state a rollback or a branch restored, beside its event (decision 5403)."""

    restore: SessionRestore
    part = "restore"

    def ctes(self, p: Placeholder) -> Sequence[tuple[str, str]]:
        columns = {"session_id": "uuid", "seq": "int", "confirmed_data": "jsonb"}
        return [("restore", insert_row(p, "session_restores", columns | {"last_result": "jsonb"}))]

    def values(self) -> Mapping[str, Any]:
        r = self.restore
        return {
            "session_id": r.session_id,
            "seq": r.seq,
            "confirmed_data": r.confirmed_data,
            "last_result": r.last_result,
        }
