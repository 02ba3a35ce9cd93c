"""The SQL of the generic parts of a `Write` (application/ports/writes.py): the command inbox
row (a keyed command's key record), the events with their outbox rows. The genesis session's
parts are in writes/genesis_parts.py, the tasks' and agents' in writes/task_parts.py.

Every class here is a `StatementPart` (persistence/writes/statement.py): its CTEs ask for their
parameters by name, `values` answers those names, `refusals` says when it refuses the write
(none of them fails on its own: the statement's guard reports refusals by rank). Why a part is
written the way it is sits next to its SQL.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from infinite_scribe.application.ports.writes import InboxEntry
from infinite_scribe.persistence.errors import (
    AGGREGATE_VERSION_INDEX,
    EVENT_ID_CONTENT,
    EVENT_ID_INDEX,
    IDEMPOTENCY_KEY_INDEX,
    KEY_CLAIMED,
    PENDING_COMMAND_INDEX,
)
from infinite_scribe.persistence.outbox.rows import (
    LOGICAL,
    MODE_SWITCHED,
    OUTBOX_PART_NAME,
    TABLE,
    mode_changed,
    outbox_part,
)
from infinite_scribe.persistence.writes.statement import Placeholder, PlainPart, Refusal, count_of
from shared_types import EventEnvelope


def insert_row(p: Placeholder, table: str, columns: Mapping[str, str], tail: str = "") -> str:
    """One row's INSERT: each column's value asked for by the column's name and cast to its
    type; `tail` (an ON CONFLICT clause) before `RETURNING 1`."""
    values = ", ".join(f"{p(name)}::{cast}" for name, cast in columns.items())
    return f"INSERT INTO {table} ({', '.join(columns)})\nVALUES ({values}){tail}\nRETURNING 1"


def assignments(p: Placeholder, columns: Mapping[str, str]) -> str:
    """An UPDATE's `column = value, ...`: each value asked for by the column's name and cast to
    its type, as `insert_row` asks for them."""
    return ", ".join(f"{name} = {p(name)}::{cast}" for name, cast in columns.items())


def missing(cte: str, expected: str = "1") -> str:
    """The condition "`cte` wrote other than `expected` rows"."""
    return f"(SELECT count(*) FROM {cte}) <> {expected}"


@dataclass(frozen=True)
class InboxPart(PlainPart):
    entry: InboxEntry
    part = "inbox"

    def ctes(self, p: Placeholder) -> Sequence[tuple[str, str]]:
        # Its unique indexes are the judges of duplicates: same key (a repeat) or the same
        # type pending (409); a concurrent twin waits here until the first commits, then
        # writes no row. A client's key (a fingerprint) is first claimed across the cache and
        # the inbox (issue 79 Q3, migration 0038): the key's lock, held to the commit, then
        # the cache read afresh; another route's live record there writes no row either.
        return [
            (
                "key_claim",
                f"SELECT CASE WHEN {p('request_fingerprint')}::text IS NULL THEN false "
                f"ELSE scribe_key_held('inbox', 'user:' || {p('user_id')}::uuid::text, "
                f"{p('idempotency_key')}::text) END AS held",
            ),
            (
                "inbox",
                "INSERT INTO command_inbox (id, session_id, user_id, command_type, "
                "idempotency_key, correlation_id, payload, status, request_fingerprint)\n"
                f"SELECT {p('id')}::uuid, {p('session_id')}::uuid, {p('user_id')}::uuid, "
                f"{p('command_type')}::text, {p('idempotency_key')}::text, {p('id')}::uuid, "
                f"{p('payload')}::jsonb, {p('status')}::command_status, "
                f"{p('request_fingerprint')}::text\n"
                "FROM key_claim WHERE NOT key_claim.held\n"
                "ON CONFLICT DO NOTHING RETURNING 1",
            ),
        ]

    def refusals(self, p: Placeholder) -> Sequence[Refusal]:
        # Which index refused, as far as this statement sees (a twin committed after it began
        # reads as the pending one; the service reads the colliding command either way).
        same_key = (
            "EXISTS (SELECT 1 FROM command_inbox WHERE user_id = "
            f"{p('user_id')}::uuid AND idempotency_key = {p('idempotency_key')}::text)"
        )
        return [
            Refusal(f"{missing('inbox')} AND (SELECT held FROM key_claim)", "23505", KEY_CLAIMED),
            Refusal(f"{missing('inbox')} AND {same_key}", "23505", IDEMPOTENCY_KEY_INDEX),
            Refusal(missing("inbox"), "23505", PENDING_COMMAND_INDEX),
        ]

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
            "request_fingerprint": e.request_fingerprint,
        }


@dataclass(frozen=True)
class EventsPart:
    """The events and their outbox rows, or messages in `mode` (persistence/outbox/rows.py)."""

    events: Sequence[EventEnvelope]
    #: Each event's JSON (the outbox's value): a JSON value or an `orjson.Fragment` of its text.
    envelopes: Sequence[Any]
    metadata: Sequence[dict[str, Any]]
    topic: str
    #: The outbox mode this statement is written for; its guard refuses it in the other one.
    mode: str = TABLE
    part = "events"

    @property
    def shape(self) -> str:
        return f"events:{self.mode}"

    def ctes(self, p: Placeholder) -> Sequence[tuple[str, str]]:
        # The unique (aggregate, version) index and the unique event id keep a taken version
        # or a stored event out (fewer rows: refused below).
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
                "ON CONFLICT DO NOTHING RETURNING id",
            ),
            *outbox_part(p, self.mode),
        ]

    def reads(self) -> Sequence[str]:
        ids = "(SELECT array_agg(id ORDER BY id) FROM new_events) AS event_ids"
        # The messages' CTE is a SELECT: it runs only when read (an INSERT runs regardless).
        return [ids, count_of(OUTBOX_PART_NAME)] if self.mode == LOGICAL else [ids]

    def refusals(self, p: Placeholder) -> Sequence[Refusal]:
        # Short events: a stored event id with other content is a conflict (decision 0304's
        # comparison: payload as JSON, not metadata or time); with the same content a repeat
        # (EventAlreadyStored); otherwise a version was taken (ConcurrencyConflict: run again,
        # the next read tells which). One index scan of the offered ids tells which, read only
        # when the events came out short (decision 4001: one subplan, not three).
        ids = f"{p('event_ids')}::uuid[]"
        at = f"array_position({ids}, d.event_id)"
        offered = ", ".join(
            f"({p(name)}::{kind}[])[{at}]"
            for name, kind in (
                ("event_types", "text"),
                ("event_versions", "int"),
                ("aggregate_types", "text"),
                ("aggregate_ids", "text"),
                ("payloads", "jsonb"),
            )
        )
        which = (
            "(SELECT CASE WHEN bool_or((d.event_type, d.event_version, d.aggregate_type, "
            f"d.aggregate_id, d.payload) IS DISTINCT FROM ({offered})) "
            f"THEN '{EVENT_ID_CONTENT}' WHEN count(*) > 0 THEN '{EVENT_ID_INDEX}' "
            f"ELSE '{AGGREGATE_VERSION_INDEX}' END "
            f"FROM domain_events d WHERE d.event_id = ANY({ids}) AND NOT d.archived)"
        )
        short = missing("new_events", f"cardinality({ids})")
        return [
            Refusal(short, "23505", AGGREGATE_VERSION_INDEX, constraint_sql=which),
            # The outbox mode is not the statement's (a switch since the writer learned it):
            # nothing is written, the writer runs the other mode's statement (composer.py).
            Refusal(mode_changed(self.mode), "40001", MODE_SWITCHED),
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
