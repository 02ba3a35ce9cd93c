"""Pages of events as JSON text built by PostgreSQL and cut at a byte bound there (issue 49):
a page of big payloads is never decoded into Python objects, only joined. On 5af61bc a page of
500 big events took 14 s of the loop and 1.6 GB for a 38.8 MB answer."""

from uuid import UUID

import asyncpg

from infinite_scribe.application.ports.genesis import EventLines

# The `EventOut` object of a row (occurred_at: the commit time, ISO 8601 with its offset).
_LINE = """json_build_object(
    'id', id, 'event_id', event_id, 'event_type', event_type, 'event_version', event_version,
    'aggregate_type', aggregate_type, 'aggregate_id', aggregate_id,
    'aggregate_version', aggregate_version, 'correlation_id', correlation_id,
    'causation_id', causation_id, 'payload', payload, 'metadata', metadata,
    'occurred_at', created_at)::text"""


def _paged(where: str, position: str) -> str:
    """$2: after, $3: limit, $4: max bytes. One row past `limit` is read to tell whether
    there is more; rows stop at the one whose JSON reaches the byte bound."""
    return f"""
WITH page AS (
    SELECT {position} AS position, {_LINE} AS line FROM domain_events
    WHERE {where} AND {position} > $2 ORDER BY {position} LIMIT $3 + 1
), sized AS (
    SELECT position, line, count(*) OVER () AS fetched,
           sum(octet_length(line)) OVER (ORDER BY position) - octet_length(line) AS before
    FROM page
)
SELECT position, line, fetched FROM sized WHERE before < $4 ORDER BY position LIMIT $3
"""


_SESSION = _paged("aggregate_type = 'GENESIS_SESSION' AND aggregate_id = $1", "aggregate_version")
_FLOW = _paged("correlation_id = $1 AND metadata->>'user_id' = $5", "id")


def _lines(rows: list[asyncpg.Record]) -> EventLines:
    more = bool(rows) and rows[0]["fetched"] > len(rows)
    return EventLines([row["line"] for row in rows], rows[-1]["position"] if more else None)


async def session_event_lines(
    pool: asyncpg.Pool, session_id: UUID, after: int, limit: int, max_bytes: int
) -> EventLines:
    return _lines(await pool.fetch(_SESSION, str(session_id), after, limit, max_bytes))


async def correlated_event_lines(
    pool: asyncpg.Pool, correlation_id: UUID, user_id: UUID, after: int, limit: int, max_bytes: int
) -> EventLines:
    rows = await pool.fetch(_FLOW, correlation_id, after, limit, max_bytes, str(user_id))
    return _lines(rows)
