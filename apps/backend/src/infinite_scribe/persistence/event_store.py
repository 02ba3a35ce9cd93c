"""Append domain events and their outbox rows in the caller's transaction, in one statement.

One round trip writes every event to `domain_events`, one `event_outbox` row per event (the
envelope as payload, the aggregate id as key) and, unless the caller wakes the relay itself,
NOTIFYs it. NOTIFY is delivered only when the transaction commits, so the relay is never woken
for rows it cannot see yet. The unit of work passes `notify=False` and NOTIFYs after the commit,
coalesced (persistence/outbox_notifier.py): a NOTIFY in every transaction serialises commits.
"""

from collections.abc import Sequence
from functools import cache
from typing import Any

import asyncpg

from infinite_scribe.domain.errors import EventTooLarge
from infinite_scribe.domain.event_names import validate_event_name
from infinite_scribe.domain.event_size import DEFAULT_EVENT_MAX_BYTES, produced_size
from infinite_scribe.persistence.errors import translated
from shared_types import DomainEventRow, EventEnvelope

#: The channel the relay LISTENs on.
OUTBOX_CHANNEL = "event_outbox_pending"
#: The payload of a NOTIFY on OUTBOX_CHANNEL sent for task progress (no outbox row): the relay
#: ignores payloads, the live streams re-read task progress on it.
TASK_PROGRESS_NOTICE = "task"

_APPEND_SQL_QUIET = """
WITH new_events AS (
    INSERT INTO domain_events (
        event_id, correlation_id, causation_id, event_type, event_version,
        aggregate_type, aggregate_id, aggregate_version, payload, metadata, created_at
    )
    SELECT * FROM unnest(
        $1::uuid[], $2::uuid[], $3::uuid[], $4::text[], $5::int[],
        $6::text[], $7::text[], $8::int[], $9::jsonb[], $10::jsonb[], $11::timestamptz[]
    )
    RETURNING id, event_id, aggregate_id
), outbox AS (
    INSERT INTO event_outbox (event_id, topic, key, payload)
    SELECT e.event_id, $12, e.aggregate_id, o.envelope
    FROM new_events e
    JOIN unnest($1::uuid[], $13::jsonb[]) AS o(event_id, envelope) USING (event_id)
    ORDER BY e.id
    RETURNING 1
)
SELECT e.id
FROM new_events e, (SELECT count(*) FROM outbox) AS written
ORDER BY e.id
"""

_APPEND_SQL = _APPEND_SQL_QUIET.replace(
    "SELECT e.id\n", f"SELECT e.id, pg_notify('{OUTBOX_CHANNEL}', '')\n"
)

#: The parameters `append_then`'s statement may use start after the append's 13.
THEN_FIRST_PARAMETER = 14


@cache
def _then_sql(statement: str) -> str:
    """The append with `statement` as one more data-modifying CTE (PostgreSQL runs every
    data-modifying CTE to completion, whether or not the outer query reads it)."""
    return _APPEND_SQL_QUIET.replace(
        "\nSELECT e.id\n",
        f", then_rows AS (\n{statement}\n)\n"
        "SELECT e.id, (SELECT count(*) FROM then_rows) AS then_rows\n",
    )


class EventStore:
    """The append-only event log plus its transactional outbox."""

    def __init__(self, topic: str, max_event_bytes: int = DEFAULT_EVENT_MAX_BYTES) -> None:
        self.topic = topic
        #: EVENT_MAX_BYTES: an event bigger than this as produced could never be published.
        self.max_event_bytes = max_event_bytes

    @staticmethod
    def check(events: Sequence[EventEnvelope]) -> None:
        """What `append` refuses before it writes anything: bad names, missing versions."""
        for event in events:
            validate_event_name(event.event_type)
            if event.aggregate_version is None:
                raise ValueError(f"{event.event_type}: aggregate_version is required to append")

    async def append(
        self,
        connection: asyncpg.Connection,
        events: Sequence[EventEnvelope],
        *,
        notify: bool = True,
    ) -> list[int]:
        """Append `events` (each with its aggregate_version set) and return their global ids.

        `notify=False`: no NOTIFY in this transaction; the caller wakes the relay after commit.

        Raises ConcurrencyConflict when another writer already appended one of these aggregate
        versions (the unique index on (aggregate_type, aggregate_id, aggregate_version)).
        """
        if not events:
            return []
        rows = await self._write(connection, _APPEND_SQL if notify else _APPEND_SQL_QUIET, events)
        return [int(row["id"]) for row in rows]

    async def append_then(
        self,
        connection: asyncpg.Connection,
        events: Sequence[EventEnvelope],
        statement: str,
        *args: Any,
    ) -> int:
        """Append `events` (no NOTIFY) and run `statement` in the same round trip (issue 13:
        one statement instead of two on the command path). `statement` is one INSERT / UPDATE /
        DELETE ... RETURNING 1 whose parameters are numbered from $14; returns how many rows it
        returned (e.g. 0: a version-checked update found the version moved)."""
        if not events:
            raise ValueError("append_then needs at least one event")
        rows = await self._write(connection, _then_sql(statement), events, *args)
        return int(rows[0]["then_rows"])

    async def _write(
        self,
        connection: asyncpg.Connection,
        sql: str,
        events: Sequence[EventEnvelope],
        *args: Any,
    ) -> list[asyncpg.Record]:
        self.check(events)
        envelopes = [event.model_dump(mode="json") for event in events]
        for envelope in envelopes:
            size = produced_size(envelope)
            if size > self.max_event_bytes:
                # Refused before anything is written: the caller's transaction rolls back.
                raise EventTooLarge(envelope["event_type"], size, self.max_event_bytes)
        # Translated: a taken aggregate version is ConcurrencyConflict (another writer won), a
        # taken event id is DuplicateEventId (the event bus replays or refuses it).
        with translated():
            rows: list[asyncpg.Record] = await connection.fetch(
                sql,
                [event.event_id for event in events],
                [event.correlation_id for event in events],
                [event.causation_id for event in events],
                [event.event_type for event in events],
                [event.event_version for event in events],
                [event.aggregate_type for event in events],
                [event.aggregate_id for event in events],
                [event.aggregate_version for event in events],
                [event.payload for event in events],
                [_stored_metadata(envelope) for envelope in envelopes],
                [event.occurred_at for event in events],
                self.topic,
                envelopes,
                *args,
            )
        return rows

    async def load(
        self,
        connection: asyncpg.Connection | asyncpg.Pool,
        aggregate_type: str,
        aggregate_id: str,
        *,
        after_version: int = 0,
    ) -> list[DomainEventRow]:
        """An aggregate's events in version order (the input of a replay)."""
        rows = await connection.fetch(
            "SELECT * FROM domain_events WHERE aggregate_type = $1 AND aggregate_id = $2 "
            "AND aggregate_version > $3 ORDER BY aggregate_version",
            aggregate_type,
            aggregate_id,
            after_version,
        )
        return [DomainEventRow.model_validate(dict(row)) for row in rows]


#: Metadata key keeping an actor other than the acting user (an agent, a job); the table has no
#: actor column, and without it a replayed envelope would name the user as the actor.
_ACTOR_KEY = "actor_id"


def _stored_metadata(envelope: dict[str, Any]) -> dict[str, Any]:
    metadata: dict[str, Any] = envelope["metadata"]
    actor = envelope["actor_id"]
    if actor is not None and actor != metadata.get("user_id"):
        return metadata | {_ACTOR_KEY: actor}
    return metadata


def envelope_of(row: DomainEventRow) -> EventEnvelope:
    """Rebuild the envelope of a stored event (replays re-publish exactly this)."""
    metadata = dict(row.metadata)
    actor = metadata.pop(_ACTOR_KEY, None)  # absent: the validator takes metadata.user_id
    return EventEnvelope.model_validate(
        {
            "event_id": row.event_id,
            "event_type": row.event_type,
            "event_version": row.event_version,
            "aggregate_type": row.aggregate_type,
            "aggregate_id": row.aggregate_id,
            "aggregate_version": row.aggregate_version,
            "actor_id": actor,
            "occurred_at": row.created_at,
            "correlation_id": row.correlation_id,
            "causation_id": row.causation_id,
            "payload": row.payload,
            "metadata": metadata,
        }
    )
