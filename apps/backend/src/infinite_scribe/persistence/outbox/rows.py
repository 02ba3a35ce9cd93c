"""The only writer of `event_outbox`: one row per event, the envelope as payload, the aggregate
id as key, in the order of the events' global ids (the relay keeps that order per key).

Three ways in, one SQL text each: `OUTBOX_PART` joins a write statement (the rows of the events
that statement appends, or their messages in logical mode), `enqueue` re-enqueues stored
envelopes (the task re-drive, operators' replays), `enqueue_handed_over` takes messages the
logical outbox's reader hands back (refused, or queued behind a key's unsent rows). None
NOTIFYs: the relay is woken after the commit, coalesced (persistence/outbox/notifier.py,
docs/decisions/1000).
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import asyncpg

#: The outbox rows of the events a write statement appends: `new_events` is that statement's
#: events CTE (id, event_id, aggregate_id), `p` names its parameters. ORDER BY the global id:
#: positions (a sequence default) follow the events' order.
OUTBOX_PART_NAME = "outbox"

#: The database's outbox mode (decisions 2600, 3500): `table`, rows in `event_outbox` for the
#: polling relay; `logical`, each event a transactional `pg_logical_emit_message` that the relay
#: reads from the slot. The CTE of this name reads it ONCE per statement through
#: `scribe_outbox_mode()` (migration 0017), which fences the writer against the switch: it
#: commits entirely before or entirely after `scribe outbox logical on|off`.
MODE_CTE = "outbox_switch"
MODE = f"(SELECT mode FROM {MODE_CTE})"

#: The prefix of the messages the logical mode emits (relay/slot_source.py reads only these).
MESSAGE_PREFIX = "infinite-scribe.outbox"


def outbox_part(p: Callable[[str], str]) -> list[tuple[str, str]]:
    """The CTEs that hand a write's events to the relay: rows, or messages in logical mode; the
    last one (`OUTBOX_PART_NAME`) has a row per event handed over, whichever way."""
    events = (
        "FROM new_events e\n"
        f"JOIN unnest({p('event_ids')}::uuid[], {p('envelopes')}::jsonb[]) AS o(event_id, envelope)"
        " USING (event_id)\n"
    )
    rows = (
        "INSERT INTO event_outbox (event_id, topic, key, payload)\n"
        f"SELECT e.event_id, {p('topic')}::text, e.aggregate_id, o.envelope\n"
        + events
        + f"WHERE {MODE} <> 'logical'\n"
        "ORDER BY e.id\n"
        "RETURNING 1"
    )
    # One message per event, in the events' order (outbox_message: migration 0015).
    messages = (
        "SELECT 1 FROM outbox_rows\n"
        "UNION ALL\n"
        f"SELECT 1 FROM (SELECT pg_logical_emit_message(true, '{MESSAGE_PREFIX}', "
        f"outbox_message({p('topic')}::text, o.envelope))\n"
        + events
        + f"WHERE {MODE} = 'logical'\n"
        "ORDER BY e.id) AS emitted"
    )
    # Referenced twice, so PostgreSQL materialises it: one call (one lock, one read) per write.
    mode = (MODE_CTE, "SELECT scribe_outbox_mode() AS mode")
    return [mode, ("outbox_rows", rows), (OUTBOX_PART_NAME, messages)]


_ENQUEUE = """
INSERT INTO event_outbox (event_id, topic, key, payload)
SELECT (e->>'event_id')::uuid, $1, e->>'aggregate_id', e
FROM unnest($2::jsonb[]) WITH ORDINALITY AS t(e, n) ORDER BY n
"""


async def enqueue(
    connection: asyncpg.Connection | asyncpg.Pool, topic: str, envelopes: Sequence[dict[str, Any]]
) -> int:
    """Outbox rows for envelopes already in `domain_events` (same event ids: consumers drop
    copies they saw); the caller wakes the relay after its commit. Returns how many."""
    if envelopes:
        await connection.execute(_ENQUEUE, topic, list(envelopes))
    return len(envelopes)


@dataclass(frozen=True, slots=True)
class HandedOver:
    """A logical-outbox message given to the table, with its first refusal if it was refused."""

    event_id: str
    topic: str
    key: str | None
    envelope: str  # the JSON text as published
    error: str | None = None
    error_class: str | None = None
    retry_in: float = 0.0
    failed: bool = False


# In the given order: positions follow it, so the table keeps each key's order from here on.
_HANDED_OVER = """
INSERT INTO event_outbox (event_id, topic, key, payload, status, attempts, next_attempt_at,
                          last_error, last_error_class, error_details)
SELECT t.event_id, t.topic, t.key, t.payload::jsonb,
       CASE WHEN t.failed THEN 'FAILED'::outbox_status ELSE 'PENDING' END,
       CASE WHEN t.error IS NULL THEN 0 ELSE 1 END,
       now() + make_interval(secs => t.retry_in), t.error, t.error_class,
       CASE WHEN t.error IS NULL THEN NULL ELSE jsonb_build_object(
           'attempts', 1, 'history', jsonb_build_array(jsonb_build_object(
               'at', now(), 'error_class', t.error_class, 'error', t.error))) END
FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[],
            $7::float8[], $8::boolean[])
     WITH ORDINALITY AS t(event_id, topic, key, payload, error, error_class, retry_in, failed, n)
ORDER BY t.n
"""


async def enqueue_handed_over(
    connection: asyncpg.Connection | asyncpg.Pool, rows: Sequence[HandedOver]
) -> None:
    """Outbox rows for messages the logical outbox's reader hands back; the caller wakes the
    relay after its commit."""
    if rows:
        await connection.execute(
            _HANDED_OVER,
            [r.event_id for r in rows],
            [r.topic for r in rows],
            [r.key for r in rows],
            [r.envelope for r in rows],
            [r.error for r in rows],
            [r.error_class for r in rows],
            [r.retry_in for r in rows],
            [r.failed for r in rows],
        )
