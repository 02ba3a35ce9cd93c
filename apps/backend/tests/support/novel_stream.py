"""The tests' reference read of a novel's stream: all of its events, oldest first, bounded (the
novel-wide rollback read and folded this, 413 past 5,000 events or 8 MiB; it reads each
chapter's few newest versions now, decision 5405, and is checked against this fold)."""

from uuid import UUID

import asyncpg

from infinite_scribe.domain.chapters import AGGREGATE_TYPE
from infinite_scribe.domain.history import LoggedEvent
from tests.support.history_limits import HistoryLimits, HistoryTooLarge

# the first row past the byte budget.
_STREAM = """
SELECT event_id, event_type, payload, created_at, running FROM (
    SELECT event_id, event_type, payload, created_at, aggregate_version,
           octet_length(payload::text) AS size,
           sum(octet_length(payload::text)) OVER (ORDER BY aggregate_version) AS running
    FROM domain_events
    WHERE aggregate_type = $1 AND aggregate_id = $2
) AS stream
WHERE running - size <= $3
ORDER BY aggregate_version
LIMIT $4
"""


async def stream(
    connection: asyncpg.Connection | asyncpg.Pool, novel_id: UUID, limits: HistoryLimits
) -> list[LoggedEvent]:
    """The novel's events, oldest first; HistoryTooLarge beyond `limits`."""
    rows = await connection.fetch(
        _STREAM, AGGREGATE_TYPE, str(novel_id), limits.max_bytes, limits.max_events + 1
    )
    if len(rows) > limits.max_events or (rows and rows[-1]["running"] > limits.max_bytes):
        raise HistoryTooLarge(
            f"The novel's history exceeds {limits.max_events} events or {limits.max_bytes} bytes",
            max_events=limits.max_events,
            max_bytes=limits.max_bytes,
        )
    return [
        LoggedEvent(r["event_id"], novel_id, r["event_type"], r["payload"], r["created_at"])
        for r in rows
    ]
