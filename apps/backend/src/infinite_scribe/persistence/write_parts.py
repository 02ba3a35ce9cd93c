"""The SQL of the declared parts of a `Write` (application/ports/writes.py) that a command
writes, as statement parts (the tasks' and agents' parts are in task_parts.py).

Every class here is a `StatementPart` (persistence/write_statement.py): its CTEs ask for their
parameters by name, `values` answers those names. Why a part is written the way it is sits
next to its SQL.
"""

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from infinite_scribe.application.ports.writes import (
    IdempotencyRecord,
    InboxEntry,
    NewNovel,
    NewSession,
    SnapshotSave,
    Supersede,
)
from infinite_scribe.persistence.errors import IDEMPOTENCY_RECORD_KEY
from infinite_scribe.persistence.outbox import OUTBOX_PART_NAME, outbox_part
from infinite_scribe.persistence.write_statement import Placeholder, count_of, expect_one
from shared_types import EventEnvelope

#: What a snapshot that moved meanwhile reports (with SQLSTATE 40001: a lost race, retried).
SNAPSHOT_VERSION_CHECK = "genesis_sessions_version"


@dataclass(frozen=True)
class IdempotencyPart:
    record: IdempotencyRecord
    shape = "idempotency"

    def ctes(self, p: Placeholder) -> Sequence[tuple[str, str]]:
        # A live record (another request's answer, or a claim of the generic middleware) is
        # kept and the statement fails (expect_one); an expired one is taken over. ON CONFLICT
        # waits for a concurrent writer of the key to commit, so a racing repeat is refused
        # once the first answer is stored, and then replays it.
        return [
            (
                "idempotency",
                "INSERT INTO idempotency_cache AS c (scope, key, fingerprint, state, "
                "response_status, response_headers, response_body, completed_at, expires_at)\n"
                f"VALUES ({p('scope')}::text, {p('key')}::text, {p('fingerprint')}::text, "
                f"'COMPLETED', {p('status')}::int, {p('headers')}::jsonb, {p('body')}::bytea, "
                f"now(), now() + make_interval(secs => {p('ttl')}::float8))\n"
                "ON CONFLICT (scope, key) DO UPDATE SET fingerprint = EXCLUDED.fingerprint, "
                "state = 'COMPLETED', lease_expires_at = NULL, "
                "response_status = EXCLUDED.response_status, "
                "response_headers = EXCLUDED.response_headers, "
                "response_body = EXCLUDED.response_body, completed_at = now(), created_at = now(), "
                "expires_at = EXCLUDED.expires_at\n"
                "WHERE (c.state = 'IN_PROGRESS' AND c.lease_expires_at <= now())\n"
                "   OR (c.state = 'COMPLETED' AND c.expires_at <= now())\n"
                "RETURNING 1",
            )
        ]

    def reads(self) -> Sequence[str]:
        return [expect_one("idempotency", "23505", IDEMPOTENCY_RECORD_KEY)]

    def values(self) -> Mapping[str, Any]:
        r = self.record
        return {
            "scope": r.scope,
            "key": r.key,
            "fingerprint": r.fingerprint,
            "status": r.status,
            "headers": [list(pair) for pair in r.headers],
            "body": r.body,
            "ttl": float(r.ttl_seconds),
        }


@dataclass(frozen=True)
class NewSessionPart:
    session: NewSession
    shape = "new_session"

    def ctes(self, p: Placeholder) -> Sequence[tuple[str, str]]:
        return [
            (
                "new_session",
                "INSERT INTO genesis_sessions (id, user_id, version) "
                f"VALUES ({p('id')}::uuid, {p('user_id')}::uuid, {p('version')}::int) RETURNING 1",
            )
        ]

    def reads(self) -> Sequence[str]:
        return [count_of("new_session")]

    def values(self) -> Mapping[str, Any]:
        s = self.session
        return {"id": s.session_id, "user_id": s.user_id, "version": s.version}


@dataclass(frozen=True)
class InboxPart:
    entry: InboxEntry
    shape = "inbox"

    def ctes(self, p: Placeholder) -> Sequence[tuple[str, str]]:
        # Its unique indexes are the judges of duplicates: same key (a repeat) or the same
        # type pending (409); a concurrent twin blocks here until the first commits.
        return [
            (
                "inbox",
                "INSERT INTO command_inbox (id, session_id, user_id, command_type, "
                "idempotency_key, correlation_id, payload, status)\n"
                f"VALUES ({p('id')}::uuid, {p('session_id')}::uuid, {p('user_id')}::uuid, "
                f"{p('command_type')}::text, {p('idempotency_key')}::text, {p('id')}::uuid, "
                f"{p('payload')}::jsonb, {p('status')}::command_status) RETURNING 1",
            )
        ]

    def reads(self) -> Sequence[str]:
        return [count_of("inbox")]

    def values(self) -> Mapping[str, Any]:
        e = self.entry
        return {
            "id": e.command_id,
            "session_id": e.aggregate_id,
            "user_id": e.user_id,
            "command_type": e.command_type,
            "idempotency_key": e.idempotency_key,
            "payload": e.payload,
            "status": e.status,
        }


@dataclass(frozen=True)
class EventsPart:
    """The events and their outbox rows (persistence/outbox.py writes those)."""

    events: Sequence[EventEnvelope]
    envelopes: Sequence[dict[str, Any]]
    metadata: Sequence[dict[str, Any]]
    topic: str
    shape = "events"

    def ctes(self, p: Placeholder) -> Sequence[tuple[str, str]]:
        # The unique (aggregate, version) index makes a lost race a ConcurrencyConflict;
        # the unique event id a DuplicateEventId.
        return [
            (
                "new_events",
                "INSERT INTO domain_events (event_id, correlation_id, causation_id, event_type, "
                "event_version, aggregate_type, aggregate_id, aggregate_version, payload, "
                "metadata, created_at)\n"
                f"SELECT * FROM unnest({p('event_ids')}::uuid[], {p('correlation_ids')}::uuid[], "
                f"{p('causation_ids')}::uuid[], {p('event_types')}::text[], "
                f"{p('event_versions')}::int[], {p('aggregate_types')}::text[], "
                f"{p('aggregate_ids')}::text[], {p('aggregate_versions')}::int[], "
                f"{p('payloads')}::jsonb[], {p('metadata')}::jsonb[], "
                f"{p('occurred_at')}::timestamptz[])\n"
                "RETURNING id, event_id, aggregate_id",
            ),
            (OUTBOX_PART_NAME, outbox_part(p)),
        ]

    def reads(self) -> Sequence[str]:
        return [
            "(SELECT array_agg(id ORDER BY id) FROM new_events) AS event_ids",
            count_of(OUTBOX_PART_NAME),
        ]

    def values(self) -> Mapping[str, Any]:
        events = self.events
        return {
            "event_ids": [e.event_id for e in events],
            "correlation_ids": [e.correlation_id for e in events],
            "causation_ids": [e.causation_id for e in events],
            "event_types": [e.event_type for e in events],
            "event_versions": [e.event_version for e in events],
            "aggregate_types": [e.aggregate_type for e in events],
            "aggregate_ids": [e.aggregate_id for e in events],
            "aggregate_versions": [e.aggregate_version for e in events],
            "payloads": [e.payload for e in events],
            "metadata": list(self.metadata),
            "occurred_at": [e.occurred_at for e in events],
            "topic": self.topic,
            "envelopes": list(self.envelopes),
        }


@dataclass(frozen=True)
class SnapshotPart:
    save: SnapshotSave
    shape = "snapshot"

    def ctes(self, p: Placeholder) -> Sequence[tuple[str, str]]:
        # Version-checked: under READ COMMITTED the WHERE is re-checked on the newest row
        # version, so a writer that moved the snapshot since our read makes this update
        # nothing, and expect_one fails the whole statement (40001 -> retried).
        return [
            (
                "snapshot",
                "UPDATE genesis_sessions SET "
                f"status = {p('status')}::genesis_status, "
                f"current_stage = {p('current_stage')}::genesis_stage, "
                f"confirmed_data = {p('confirmed_data')}::jsonb, "
                f"pending_command_type = {p('pending_command_type')}::text, "
                f"last_result = {p('last_result')}::jsonb, novel_id = {p('novel_id')}::uuid, "
                f"version = {p('version')}::int, trashed_at = CASE WHEN {p('move_trash')}::bool "
                f"THEN {p('trashed_at')}::timestamptz ELSE trashed_at END\n"
                f"WHERE id = {p('id')}::uuid AND version = {p('old_version')}::int RETURNING 1",
            )
        ]

    def reads(self) -> Sequence[str]:
        return [expect_one("snapshot", "40001", SNAPSHOT_VERSION_CHECK)]

    def values(self) -> Mapping[str, Any]:
        state = self.save.state
        trash = self.save.trash
        return {
            "id": state.session_id,
            "old_version": self.save.old_version,
            "status": state.status.value,
            "current_stage": state.current_stage.value,
            "confirmed_data": dict(state.confirmed_data),
            "pending_command_type": state.pending_command_type,
            "last_result": None if state.last_result is None else dict(state.last_result),
            "novel_id": state.novel_id,
            "version": state.version,
            "move_trash": trash is not None,
            "trashed_at": None if trash is None else trash.trashed_at,
        }


@dataclass(frozen=True)
class SupersedePart:
    supersede: Supersede
    shape = "supersede"

    def ctes(self, p: Placeholder) -> Sequence[tuple[str, str]]:
        # Confirming or abandoning makes pending requests moot; left RECEIVED they would block
        # the next stage's request (the partial unique index).
        return [
            (
                "superseded_tasks",
                "UPDATE async_tasks SET status = 'CANCELLED', message = "
                f"{p('message')}::text, finished_at = clock_timestamp() "
                f"WHERE session_id = {p('session_id')}::uuid AND status IN ('PENDING', 'RUNNING') "
                "RETURNING 1",
            ),
            (
                "superseded_commands",
                f"UPDATE command_inbox SET status = 'FAILED', error_message = {p('message')}::text "
                f"WHERE session_id = {p('session_id')}::uuid "
                "AND status IN ('RECEIVED', 'PROCESSING') RETURNING 1",
            ),
        ]

    def reads(self) -> Sequence[str]:
        return [count_of("superseded_tasks"), count_of("superseded_commands")]

    def values(self) -> Mapping[str, Any]:
        s = self.supersede
        return {"session_id": s.session_id, "message": f"Superseded by {s.by_command_type}"}


@dataclass(frozen=True)
class NovelPart:
    novel: NewNovel
    shape = "novel"

    def ctes(self, p: Placeholder) -> Sequence[tuple[str, str]]:
        return [
            (
                "novel",
                "INSERT INTO novels (id, user_id, title, logline, theme, writing_style, "
                "target_chapters, story, worldview, characters, outline) "
                f"VALUES ({p('id')}::uuid, {p('user_id')}::uuid, {p('title')}::text, "
                f"{p('logline')}::text, {p('theme')}::text, {p('writing_style')}::text, "
                f"{p('target_chapters')}::int, {p('story')}::jsonb, {p('worldview')}::jsonb, "
                f"{p('characters')}::jsonb, {p('outline')}::jsonb) RETURNING 1",
            )
        ]

    def reads(self) -> Sequence[str]:
        return [count_of("novel")]

    def values(self) -> Mapping[str, Any]:
        n = self.novel
        return {"id": n.novel_id, "user_id": n.user_id, **asdict(n.bible)}
