"""The only writer of `event_outbox`: one row per event, the envelope as payload, the aggregate
id as key, in the order of the events' global ids (the relay keeps that order per key).

Three ways in: `outbox_part` joins a write statement (the rows of the events that statement
appends, or their messages: one SQL text per mode), `enqueue` re-enqueues stored
envelopes (the task re-drive, operators' replays), `enqueue_handed_over` takes messages the
logical outbox's reader hands back (refused, or queued behind a key's unsent rows). None
NOTIFYs: the relay is woken after the commit, coalesced (persistence/outbox/notifier.py,
docs/decisions/1000).
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import asyncpg

#: The name of the write statement's CTE that hands its events to the relay (a row per event).
OUTBOX_PART_NAME = "outbox"

#: The outbox modes (decisions 2600, 3500, 4001): `table`, rows in `event_outbox` for the polling
#: relay; `logical`, each event a transactional `pg_logical_emit_message` read from the slot.
TABLE, LOGICAL = "table", "logical"
#: The CTE that reads the database's mode ONCE per statement through `scribe_outbox_mode()`
#: (migration 0017), which fences the writer against the switch: it commits entirely before or
#: entirely after `scribe outbox logical on|off`.
MODE_CTE = "outbox_switch"
#: What the statement's guard reports when the mode is not the one it was written for (SQLSTATE
#: 40001): nothing was written; the writer runs the statement of the other mode.
MODE_SWITCHED = "outbox_mode_switched"

#: The prefix of the messages the logical mode emits (relay/slot_source.py reads only these).
MESSAGE_PREFIX = "infinite-scribe.outbox"


def other_mode(mode: str) -> str:
    return LOGICAL if mode == TABLE else TABLE


def outbox_part(p: Callable[[str], str], mode: str) -> list[tuple[str, str]]:
    """The CTEs that hand a write's events to the relay in `mode` (one mode per statement,
    decision 4001): rows, or messages; `OUTBOX_PART_NAME` has a row per event handed over.

    They read the offered events, not the events CTE: an event that was not stored (a taken
    version, a stored id) refuses the whole statement (writes/parts.py), so no row or message
    outlives it, and the statement needs no join. Array order is the events' order (their global
    ids are given in it): positions and messages follow it."""
    offered = (
        f"FROM unnest({p('event_ids')}::uuid[], {p('aggregate_ids')}::text[], "
        f"{p('envelopes')}::jsonb[]) WITH ORDINALITY AS o(event_id, key, envelope, n)\n"
        "ORDER BY o.n"
    )
    if mode == TABLE:
        body = (
            "INSERT INTO event_outbox (event_id, topic, key, payload)\n"
            f"SELECT o.event_id, {p('topic')}::text, o.key, o.envelope\n{offered}\nRETURNING 1"
        )
    else:
        # One message per event (outbox_message: migration 0015); a SELECT CTE runs only when
        # read, so the statement reads its count.
        body = (
            f"SELECT pg_logical_emit_message(true, '{MESSAGE_PREFIX}', "
            f"outbox_message({p('topic')}::text, o.envelope))\n{offered}"
        )
    # Read once, by the guard (its function is volatile: PostgreSQL materialises the CTE).
    switch = (MODE_CTE, "SELECT scribe_outbox_mode() AS mode")
    return [(OUTBOX_PART_NAME, body), switch]


def mode_changed(mode: str) -> str:
    """The guard's condition "the database's mode is not `mode`" (read under the fence)."""
    return f"(SELECT mode FROM {MODE_CTE}) <> '{mode}'"


async def read_mode(connection: asyncpg.Connection | asyncpg.Pool) -> str:
    """The mode now (unfenced: what a writer starts from; its statement's guard checks it)."""
    return str(await connection.fetchval("SELECT mode FROM outbox_mode"))


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
