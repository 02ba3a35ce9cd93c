"""The only writer of `event_outbox`: one row per event, the envelope as payload, the aggregate
id as key, in the order of the events' global ids (the relay keeps that order per key).

Two ways in, one SQL text each: `OUTBOX_PART` joins a write statement (the rows of the events
that statement appends), `enqueue` re-enqueues stored envelopes (the task re-drive, operators'
replays). Neither NOTIFYs: the relay is woken after the commit, coalesced
(persistence/outbox_notifier.py, docs/decisions/1000).
"""

from collections.abc import Callable, Sequence
from typing import Any

import asyncpg

#: The outbox rows of the events a write statement appends: `new_events` is that statement's
#: events CTE (id, event_id, aggregate_id), `p` names its parameters. ORDER BY the global id:
#: positions (a sequence default) follow the events' order.
OUTBOX_PART_NAME = "outbox"

#: The database's outbox mode (decision 2600): unset or `table`, rows in `event_outbox` for the
#: polling relay; `logical`, set by `scribe outbox logical enable` once the slot exists, each
#: event a transactional `pg_logical_emit_message` that the relay reads from the slot. Read per
#: statement, so every writer of a database follows the same switch (new connections at once).
MODE = "coalesce(current_setting('scribe.outbox_mode', true), 'table')"

#: The prefix of the messages the logical mode emits (relay/logical.py reads only these).
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
    return [("outbox_rows", rows), (OUTBOX_PART_NAME, messages)]


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
