"""The internal event bus: publish an event (and its outbox row) in the caller's transaction.

Publishing is idempotent by `event_id`: the same id with the same content returns the event
already stored and writes nothing; the same id with other content is refused (EventIdConflict).
It serves `Transaction.publish` (an event written by another service under a known id), so a
redelivered message handled again is harmless. A new event costs one INSERT (in a savepoint):
only a repeat reads the stored event to compare.
"""

from typing import Any
from uuid import UUID

import asyncpg
import orjson

from infinite_scribe.application.ports.storage import Published
from infinite_scribe.domain.errors import ConcurrencyConflict, EventIdConflict
from infinite_scribe.persistence.errors import DuplicateEventId, translated
from infinite_scribe.persistence.event_store import EventStore, envelope_of
from shared_types import DomainEventRow, EventEnvelope


def _content(
    event_type: str, version: int, aggregate_type: str, aggregate_id: str, payload: Any
) -> tuple[object, ...]:
    # Payloads compare as stored JSON (UUIDs, datetimes as the JSONB codec writes them).
    return (event_type, version, aggregate_type, aggregate_id, orjson.loads(orjson.dumps(payload)))


class EventBus:
    """Publishes through the event store, one event at a time, idempotently."""

    def __init__(self, store: EventStore, *, max_attempts: int = 5) -> None:
        self.store = store
        self.max_attempts = max_attempts

    async def publish(
        self,
        connection: asyncpg.Connection,
        event: EventEnvelope,
        *,
        event_id: UUID | None = None,
    ) -> EventEnvelope:
        """Append `event` (next aggregate_version unless it has one) with its outbox row.

        Returns the stored envelope: the new one, or the existing one for a repeated event_id.
        """
        return (await self.publish_once(connection, event, event_id=event_id)).event

    async def publish_once(
        self,
        connection: asyncpg.Connection,
        event: EventEnvelope,
        *,
        event_id: UUID | None = None,
        notify: bool = True,
    ) -> Published:
        """`publish`, also saying whether the event is new (False: a repeat of a stored one).
        `notify=False`: the caller wakes the relay after commit (see `EventStore.append`)."""
        if event_id is not None and event_id != event.event_id:
            event = event.model_copy(update={"event_id": event_id})
        for _ in range(self.max_attempts):
            candidate = event
            if event.aggregate_version is None:
                version = await self._next_version(connection, event)
                candidate = event.model_copy(update={"aggregate_version": version})
            try:
                # Insert first: the unique event id says whether it is a repeat, so a new event
                # costs no read. A savepoint: the violation must not abort the caller's work.
                with translated():
                    async with connection.transaction():
                        await self.store.append(connection, [candidate], notify=notify)
                return Published(candidate, is_new=True)
            except DuplicateEventId:
                existing = await self._stored(connection, event.event_id)
                if existing is not None:
                    return Published(self._same_or_conflict(existing, event), is_new=False)
                # Not visible to this snapshot yet (a concurrent publish): the next round.
            except ConcurrencyConflict:
                if event.aggregate_version is not None:
                    raise
                # Another event took this aggregate version (or this very event did): retry.
        raise ConcurrencyConflict(
            f"could not publish event {event.event_id} after {self.max_attempts} attempts"
        )

    async def _stored(
        self, connection: asyncpg.Connection, event_id: UUID
    ) -> DomainEventRow | None:
        with translated():
            row = await connection.fetchrow(
                "SELECT * FROM domain_events WHERE event_id = $1", event_id
            )
        return DomainEventRow.model_validate(dict(row)) if row is not None else None

    async def _next_version(self, connection: asyncpg.Connection, event: EventEnvelope) -> int:
        # No lock: the unique (aggregate, version) index turns a lost race into a retry.
        with translated():
            version = await connection.fetchval(
                "SELECT coalesce(max(aggregate_version), 0) + 1 FROM domain_events "
                "WHERE aggregate_type = $1 AND aggregate_id = $2",
                event.aggregate_type,
                event.aggregate_id,
            )
        return int(version)

    @staticmethod
    def _same_or_conflict(existing: DomainEventRow, event: EventEnvelope) -> EventEnvelope:
        stored = _content(
            existing.event_type,
            existing.event_version,
            existing.aggregate_type,
            existing.aggregate_id,
            existing.payload,
        )
        offered = _content(
            event.event_type,
            event.event_version,
            event.aggregate_type,
            event.aggregate_id,
            event.payload,
        )
        if stored != offered:
            raise EventIdConflict(
                f"event {event.event_id} was already published with different content",
                event_id=str(event.event_id),
            )
        return envelope_of(existing)
