"""The append-only event log: append events with their outbox rows, load an aggregate's events,
rebuild a stored event's envelope.

Appending is the events part of a write (persistence/writes.py): one statement writes every
event to `domain_events` and one `event_outbox` row per event (persistence/outbox.py). Use
cases write through `AggregateWrites` (the events with everything else their change writes);
`EventStore.append` is the events-only write for tools and tests.
"""

from collections.abc import Sequence

import asyncpg

from infinite_scribe.application.ports.writes import Write
from infinite_scribe.domain.event_size import DEFAULT_EVENT_MAX_BYTES
from infinite_scribe.persistence.writes import ACTOR_KEY, WriteComposer, check_events
from shared_types import DomainEventRow, EventEnvelope

#: The channel the relay LISTENs on.
OUTBOX_CHANNEL = "event_outbox_pending"
#: The payload of a NOTIFY on OUTBOX_CHANNEL sent for task progress (no outbox row): the relay
#: ignores payloads, the live streams re-read task progress on it.
TASK_PROGRESS_NOTICE = "task"


class EventStore:
    """The append-only event log plus its transactional outbox."""

    def __init__(self, topic: str, max_event_bytes: int = DEFAULT_EVENT_MAX_BYTES) -> None:
        self.topic = topic
        #: EVENT_MAX_BYTES: an event bigger than this as produced could never be published.
        self.max_event_bytes = max_event_bytes
        self.composer = WriteComposer(topic, max_event_bytes)

    @staticmethod
    def check(events: Sequence[EventEnvelope]) -> None:
        """What `append` refuses before it writes anything: bad names, missing versions."""
        check_events(events)

    async def append(
        self,
        connection: asyncpg.Connection,
        events: Sequence[EventEnvelope],
        *,
        notify: bool = True,
    ) -> list[int]:
        """Append `events` (each with its aggregate_version set) and return their global ids.

        For tools and tests that write outside the application: the NOTIFY (`notify=False`
        skips it) is delivered when the caller's transaction commits. The application never
        appends here: it writes through `AggregateWrites` and wakes the relay after its
        commits, coalesced (docs/decisions/1000).

        Raises ConcurrencyConflict when another writer already appended one of these aggregate
        versions (the unique index on (aggregate_type, aggregate_id, aggregate_version)).
        """
        if not events:
            return []
        ids = await self.composer.write(connection, Write(events=events))
        if notify:
            await connection.execute("SELECT pg_notify($1, '')", OUTBOX_CHANNEL)
        return ids

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
