"""Operator actions on the outbox: status, requeue FAILED rows, replay events, clean up."""

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import asyncpg

from infinite_scribe.application.ports.operator import OutboxFilter
from infinite_scribe.persistence.event_store import envelope_json
from infinite_scribe.persistence.outbox import rows as outbox
from infinite_scribe.persistence.outbox.notifier import notify


@dataclass
class OutboxStatus:
    counts: dict[str, int]
    oldest_pending_age_seconds: float | None
    failed: list[dict[str, Any]] = field(default_factory=list)
    held: int = 0


async def status(pool: asyncpg.Pool, failed_limit: int = 50) -> OutboxStatus:
    """Rows per status, the oldest PENDING row's age, FAILED rows with their errors."""
    counts = {
        r["status"]: int(r["n"])
        for r in await pool.fetch(
            "SELECT status::text AS status, count(*) AS n FROM event_outbox GROUP BY status"
        )
    }
    age = await pool.fetchval(
        "SELECT extract(epoch FROM now() - min(created_at)) FROM event_outbox "
        "WHERE status = 'PENDING'"
    )
    failed = [
        dict(r)
        for r in await pool.fetch(
            "SELECT id, position, topic, key, attempts, last_error_class, last_error, updated_at "
            "FROM event_outbox WHERE status = 'FAILED' ORDER BY position LIMIT $1",
            failed_limit,
        )
    ]
    # Rows waiting behind a FAILED row of their key (held until it is requeued).
    held = await pool.fetchval(
        "SELECT count(*) FROM event_outbox o WHERE o.status = 'PENDING' AND EXISTS ("
        " SELECT 1 FROM event_outbox f WHERE f.key = o.key AND f.status = 'FAILED'"
        " AND f.position < o.position)"
    )
    return OutboxStatus(counts, float(age) if age is not None else None, failed, int(held))


#: Which FAILED rows: every field of the filter given must match (`error_contains`: a substring).
_FILTER = (
    "($2::text IS NULL OR key = $2) AND ($3::text IS NULL OR topic = $3) "
    "AND ($4::text IS NULL OR last_error_class = $4) "
    "AND ($5::text IS NULL OR strpos(last_error, $5) > 0)"
)


async def failed(pool: asyncpg.Pool, where: OutboxFilter, limit: int) -> list[dict[str, Any]]:
    """FAILED rows matching `where` in position order, with their error history."""
    rows = await pool.fetch(
        "SELECT id, position, topic, key, payload->>'event_type' AS event_type, attempts, "
        "last_error_class, last_error, coalesce(error_details->'history', '[]'::jsonb) AS history, "
        f"updated_at FROM event_outbox WHERE status = 'FAILED' AND {_FILTER} "
        "ORDER BY position LIMIT $1",
        limit,
        where.key,
        where.topic,
        where.error_class,
        where.error_contains,
    )
    return [dict(row) for row in rows]


async def requeue(
    pool: asyncpg.Pool,
    *,
    row_id: uuid.UUID | None = None,
    all_failed: bool = False,
    where: OutboxFilter | None = None,
) -> int:
    """FAILED -> PENDING with a fresh retry budget (one row, every FAILED row, or those
    matching `where`); returns how many rows were requeued. The error history is kept."""
    if sum((row_id is not None, all_failed, where is not None)) != 1:
        raise ValueError("give exactly one of row_id, all_failed or where")
    where = where or OutboxFilter()
    result = await pool.fetchval(
        f"""
        WITH requeued AS (
            UPDATE event_outbox
            SET status = 'PENDING', attempts = 0, next_attempt_at = now(),
                claimed_by = NULL, claimed_until = NULL, last_error = NULL,
                last_error_class = NULL
            WHERE status = 'FAILED' AND ($1::uuid IS NULL OR id = $1) AND {_FILTER}
            RETURNING 1
        )
        SELECT count(*) FROM requeued
        """,
        row_id,
        where.key,
        where.topic,
        where.error_class,
        where.error_contains,
    )
    if result:  # after the commit: a NOTIFY in it would serialise commits (decision 1000)
        await notify(pool)
    return int(result or 0)


async def replay(
    pool: asyncpg.Pool,
    topic: str,
    *,
    aggregate_id: str | None = None,
    correlation_id: uuid.UUID | None = None,
    since: datetime | None = None,
    chunk: int = 1000,
    on_progress: Callable[[int], None] | None = None,
) -> int:
    """Re-enqueue stored events (by aggregate, correlation id or time) as new outbox rows.

    The envelopes are rebuilt from `domain_events` (same event_id, so consumers that already saw
    an event drop the copy); new positions keep the events' `domain_events.id` order per key.
    """
    if sum(x is not None for x in (aggregate_id, correlation_id, since)) != 1:
        raise ValueError("give exactly one of aggregate_id, correlation_id or since")
    last_id, total = 0, 0
    while True:
        rows = await pool.fetch(
            "SELECT * FROM domain_events WHERE id > $1 "
            "AND ($2::text IS NULL OR aggregate_id = $2) "
            "AND ($3::uuid IS NULL OR correlation_id = $3) "
            "AND ($4::timestamptz IS NULL OR created_at >= $4) "
            "ORDER BY id LIMIT $5",
            last_id,
            aggregate_id,
            correlation_id,
            since,
            chunk,
        )
        if not rows:
            return total
        envelopes = [envelope_json(row) for row in rows]
        await outbox.enqueue(pool, topic, envelopes)  # one statement: its own transaction
        await notify(pool)  # after the commit
        total += len(rows)
        last_id = int(rows[-1]["id"])
        if on_progress is not None:
            on_progress(len(rows))


async def cleanup(
    pool: asyncpg.Pool,
    older_than_seconds: float,
    batch: int = 1000,
    max_batches: int = 1000,
    on_progress: Callable[[int], None] | None = None,
) -> int:
    """Delete SENT rows older than the cutoff, `batch` rows per transaction; returns the count."""
    total = 0
    for _ in range(max_batches):
        # Small separate transactions keep locks and WAL bursts short on a busy outbox; SKIP
        # LOCKED steps around rows a relay or another cleanup is touching right now.
        deleted = await pool.fetchval(
            """
            WITH doomed AS (
                SELECT id FROM event_outbox
                WHERE status = 'SENT' AND created_at < now() - make_interval(secs => $1)
                LIMIT $2 FOR UPDATE SKIP LOCKED
            ), gone AS (
                DELETE FROM event_outbox o USING doomed WHERE o.id = doomed.id RETURNING 1
            )
            SELECT count(*) FROM gone
            """,
            older_than_seconds,
            batch,
        )
        total += int(deleted)
        if on_progress is not None:
            on_progress(int(deleted))
        if deleted < batch:
            break
    return total
