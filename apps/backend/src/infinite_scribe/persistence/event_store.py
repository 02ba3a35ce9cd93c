"""The append-only event log: how an event's metadata is stored, an aggregate's events, and a
stored event's envelope. The floor of persistence: every concern reads it, it imports none.

Events are appended only as the events part of a `Write` (persistence/writes/parts.py: one
statement writes them to `domain_events` with one `event_outbox` row each); nothing here writes.
"""

from collections.abc import Mapping
from typing import Any

import asyncpg

from shared_types import DomainEventRow, EventEnvelope

#: Metadata key keeping an actor other than the acting user (an agent, a job); the table has no
#: actor column, and without it a replayed envelope would name the user as the actor.
ACTOR_KEY = "actor_id"
#: A stored event's columns (`domain_events` has more: `archived`).
EVENT_COLUMNS = (
    "id, event_id, event_type, event_version, aggregate_type, aggregate_id, aggregate_version, "
    "correlation_id, causation_id, payload, metadata, created_at"
)


def stored_metadata(event: EventEnvelope) -> dict[str, Any]:
    metadata: dict[str, Any] = event.metadata.model_dump(mode="json")
    actor = event.actor_id
    if actor is not None and actor != metadata.get("user_id"):
        return metadata | {ACTOR_KEY: actor}
    return metadata


async def load_events(
    connection: asyncpg.Connection | asyncpg.Pool,
    aggregate_type: str,
    aggregate_id: str,
    *,
    after_version: int = 0,
) -> list[DomainEventRow]:
    """An aggregate's events in version order (the input of a replay or a rebuild)."""
    rows = await connection.fetch(
        "SELECT * FROM domain_events WHERE aggregate_type = $1 AND aggregate_id = $2 "
        "AND aggregate_version > $3 ORDER BY aggregate_version",
        aggregate_type,
        aggregate_id,
        after_version,
    )
    return [DomainEventRow.model_validate(dict(row)) for row in rows]


def envelope_of(row: DomainEventRow) -> EventEnvelope:
    """Rebuild the envelope of a stored event (replays re-publish exactly this)."""
    metadata = dict(row.metadata)
    actor = metadata.pop(ACTOR_KEY, None)  # absent: the validator takes metadata.user_id
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


def envelope_json(row: Mapping[str, Any]) -> dict[str, Any]:
    """The envelope of a stored event as JSON data, from a row with its columns (and others)."""
    event = DomainEventRow.model_validate({key: row[key] for key in DomainEventRow.model_fields})
    return envelope_of(event).model_dump(mode="json")
