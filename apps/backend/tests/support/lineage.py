"""The tests' reference read of a session's lineage (issue 37): its events and, for a branch, its
origin's events up to the branch point (and so on up to a session that was created), oldest
first, bounded. The service reads pages and a version's state by index instead (decision 5402);
the full fold of this read is what those are checked against, and its 413 past 5,000 events is
what they replaced. A restore's payload is read with its row's state (decision 5403), as the
service's readers resolve it."""

from uuid import UUID

import asyncpg

from infinite_scribe.domain.genesis import BRANCHED
from infinite_scribe.domain.history import LoggedEvent
from tests.support.history_limits import HistoryLimits, HistoryTooLarge

# One segment: a session's events up to a version, with the running size of their payloads,
# stopped in the database at the first row past the byte budget (only that one row more is
# shipped, so an oversized history costs a bounded read before it is refused).
_SEGMENT = """
SELECT event_id, event_type, payload, created_at, running FROM (
    SELECT event_id, event_type, created_at, aggregate_version,
           CASE WHEN r.seq IS NULL THEN payload ELSE payload || jsonb_build_object(
               'confirmed_data', r.confirmed_data, 'last_result', r.last_result) END AS payload,
           octet_length(payload::text) AS size,
           sum(octet_length(payload::text)) OVER (ORDER BY aggregate_version) AS running
    FROM domain_events LEFT JOIN session_restores r
        ON r.session_id = aggregate_id::uuid AND r.seq = aggregate_version
    WHERE aggregate_type = 'GENESIS_SESSION' AND aggregate_id = $1 AND aggregate_version <= $2
) AS segment
WHERE running - size <= $3
ORDER BY aggregate_version
LIMIT $4
"""

_VERSION_OF = """
SELECT aggregate_version FROM domain_events
WHERE event_id = $1 AND aggregate_type = 'GENESIS_SESSION' AND aggregate_id = $2
"""

#: At most this many sessions in one lineage (a branch of a branch of ...).
MAX_DEPTH = 64


async def lineage(
    connection: asyncpg.Connection | asyncpg.Pool, session_id: UUID, limits: HistoryLimits
) -> list[LoggedEvent]:
    """The lineage's events, oldest first; HistoryTooLarge beyond `limits`."""
    segments: list[list[LoggedEvent]] = []
    events_left, bytes_left = limits.max_events, limits.max_bytes
    current, upto = session_id, 2**31 - 1
    for _ in range(MAX_DEPTH):
        rows = await connection.fetch(_SEGMENT, str(current), upto, bytes_left, events_left + 1)
        if len(rows) > events_left or (rows and rows[-1]["running"] > bytes_left):
            raise _too_large(limits)
        segment = [
            LoggedEvent(r["event_id"], current, r["event_type"], r["payload"], r["created_at"])
            for r in rows
        ]
        if segments and segment and not segment[0].payload:
            # An origin that was purged: its payloads are erased, its versions gone for good.
            return [event for part in reversed(segments) for event in part]
        segments.append(segment)
        events_left -= len(rows)
        bytes_left -= int(rows[-1]["running"]) if rows else 0
        if not segment or segment[0].event_type != BRANCHED:
            return [event for part in reversed(segments) for event in part]
        origin = segment[0].payload.get("branched_from") or {}
        current, at = UUID(str(origin["session_id"])), UUID(str(origin["event_id"]))
        version = await connection.fetchval(_VERSION_OF, at, str(current))
        if version is None:  # the origin was purged: its versions are gone
            return [event for part in reversed(segments) for event in part]
        upto = version
    raise _too_large(limits)


def _too_large(limits: HistoryLimits) -> HistoryTooLarge:
    return HistoryTooLarge(
        f"The session's history exceeds {limits.max_events} events or {limits.max_bytes} "
        "bytes; read its events page by page (GET .../events)",
        max_events=limits.max_events,
        max_bytes=limits.max_bytes,
    )
