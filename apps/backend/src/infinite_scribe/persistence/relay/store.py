"""The relay's SQL on `event_outbox`: claim head-of-line chains, mark them SENT, retry, release.

Ordering argument (why one key can never overtake itself, with any number of relays):

* A key is claimed through its head of line: its first unsent row (PENDING - leased or not,
  waiting for a retry or not - or FAILED). Only a PENDING, due, unleased head can be claimed,
  and with it up to `per_key` rows that follow it (its chain, in `position` order): they are
  produced in that order to the key's one partition, which the idempotent producer keeps in
  order with several requests in flight. While any row of the chain is leased, the key's head
  is leased, so no other claim takes anything of that key. The relay marks SENT only the
  acknowledged prefix of a key's chain; the rows after a row that was not acknowledged are
  released and wait behind it (relay/outcome.py).
* `position` order is commit order per key: writers of one aggregate are serialised by the
  unique (aggregate_type, aggregate_id, aggregate_version) index, and a write's outbox part
  inserts a transaction's outbox rows in `domain_events.id` order.
* Two relays: the NOT EXISTS check runs on the statement's snapshot. If relay B's snapshot
  still shows the head unsent, B skips the key (conservative). B can never see a later row
  as head while the head is unsent, because the head's SENT is only visible after its commit.
  The head itself is either leased (`claimed_until` in the future: skipped) or row-locked by
  another claim that has not committed yet (`SKIP LOCKED`: skipped instead of waiting). When
  the lock is released, PostgreSQL re-checks the row's own WHERE (EvalPlanQual) before locking,
  so a lease written by the other claim is respected.
* A crashed relay leaves its heads leased until `claimed_until`; then any relay reclaims them.
  A slow relay whose lease expired may publish a duplicate, never a reordering: a later row
  still waits for the head's SENT (at-least-once; consumers deduplicate on ce_id).
"""

from collections.abc import Sequence
from typing import Any
from uuid import UUID

import asyncpg

from infinite_scribe.application.ports.relay import ClaimedRow
from infinite_scribe.persistence.relay.members import Share

#: Every key bucket: a relay alone, or one taking what its share left over.
WHOLE = Share()

#: Columns the publisher needs. The envelope is selected as `::text` on purpose, although the
#: pool's JSONB codec could decode it: the Kafka value is exactly that JSON text, and decoding
#: then re-encoding every envelope would cost the relay CPU per message for nothing. The
#: CloudEvents header values are read out of it by PostgreSQL; `headers` (small, usually
#: empty) is decoded by the pool's codec.
_RETURNING = """
RETURNING o.id, o.position, o.topic, o.key, hashtext(o.key) & 1023 AS bucket, o.attempts,
          o.payload::text AS value,
          o.event_id, o.headers AS extra_headers,
          o.payload->>'event_type' AS ce_type,
          o.payload->>'occurred_at' AS ce_time,
          o.payload->>'correlation_id' AS correlation_id,
          o.payload->>'causation_id' AS causation_id,
          o.payload->'metadata'->>'traceparent' AS traceparent,
          o.payload->'metadata'->>'source_service' AS source_service
"""

#: $1 batch size (rows), $2 relay id, $3 lease seconds, $4 and $7 the cursor (the last key
#: claimed last time, and its bucket), $5 how many keys (heads) to claim, $6 rows per key (the
#: head included), $8 and $9 the relay's share of the key buckets, [low, high).
_CLAIM_SQL = (
    """
WITH RECURSIVE after_cursor AS (
    -- A loose index scan over idx_event_outbox_unsent_bucket (bucket, key, position), only in
    -- the relay's share: one probe per key that has unsent rows, yielding that key's first
    -- unsent row (its head of line). Cost grows with the number of keys visited, not with how
    -- many rows queue behind a head.
    (SELECT hashtext(e.key) & 1023 AS b, e.key, e.id FROM event_outbox e
     WHERE (hashtext(e.key) & 1023, e.key) > ($7, $4)
       AND hashtext(e.key) & 1023 >= $8 AND hashtext(e.key) & 1023 < $9
       AND e.status <> 'SENT' AND e.key IS NOT NULL
     ORDER BY hashtext(e.key) & 1023, e.key, e.position LIMIT 1)
    UNION ALL
    SELECT n.b, n.key, n.id FROM after_cursor h, LATERAL (
        SELECT hashtext(e.key) & 1023 AS b, e.key, e.id FROM event_outbox e
        WHERE (hashtext(e.key) & 1023, e.key) > (h.b, h.key) AND hashtext(e.key) & 1023 < $9
          AND e.status <> 'SENT' AND e.key IS NOT NULL
        ORDER BY hashtext(e.key) & 1023, e.key, e.position LIMIT 1
    ) n
), wrapped AS (
    -- Then round-robin: the keys of the share up to the cursor, so every key gets its turn.
    (SELECT hashtext(e.key) & 1023 AS b, e.key, e.id FROM event_outbox e
     WHERE hashtext(e.key) & 1023 >= $8 AND (hashtext(e.key) & 1023, e.key) <= ($7, $4)
       AND e.status <> 'SENT' AND e.key IS NOT NULL
     ORDER BY hashtext(e.key) & 1023, e.key, e.position LIMIT 1)
    UNION ALL
    SELECT n.b, n.key, n.id FROM wrapped h, LATERAL (
        SELECT hashtext(e.key) & 1023 AS b, e.key, e.id FROM event_outbox e
        WHERE (hashtext(e.key) & 1023, e.key) > (h.b, h.key)
          AND (hashtext(e.key) & 1023, e.key) <= ($7, $4)
          AND e.status <> 'SENT' AND e.key IS NOT NULL
        ORDER BY hashtext(e.key) & 1023, e.key, e.position LIMIT 1
    ) n
), heads AS (
    SELECT id FROM after_cursor
    UNION ALL
    SELECT id FROM wrapped
    UNION ALL
    -- Rows without a key have no order to keep (idx_event_outbox_pending_keyless).
    (SELECT id FROM event_outbox
     WHERE key IS NULL AND status = 'PENDING' ORDER BY position LIMIT $1)
), claimable AS (
    SELECT o.id, o.key, o.position
    FROM heads h JOIN event_outbox o ON o.id = h.id
    -- A head that is FAILED (holds its key), waiting for a retry, or leased by a live relay is
    -- skipped; the rows behind it are never candidates, so its key stays blocked.
    WHERE o.status = 'PENDING'
      AND o.next_attempt_at <= now()
      AND (o.claimed_until IS NULL OR o.claimed_until < now())
    LIMIT $5
    -- SKIP LOCKED: a head being claimed by another relay right now is passed over, not waited
    -- for. Once unlocked, PostgreSQL re-checks this WHERE on the newest row version, so a lease
    -- that relay wrote is respected.
    FOR UPDATE OF o SKIP LOCKED
), chains AS (
    -- Each claimed head with the rows queued behind it (only ever PENDING and unleased: nothing
    -- of a key is claimed or retried while its head is not SENT).
    SELECT c.id, c.key, c.position FROM claimable h, LATERAL (
        SELECT e.id, e.key, e.position FROM event_outbox e
        WHERE e.key = h.key AND e.position >= h.position AND e.status <> 'SENT'
        ORDER BY e.key, e.position LIMIT $6
    ) c
    UNION ALL
    SELECT id, key, position FROM claimable WHERE key IS NULL
), chosen AS (
    -- At most $1 rows; the ORDER BY makes any cut keep a prefix of each key's chain.
    SELECT id FROM chains ORDER BY key, position LIMIT $1
)
UPDATE event_outbox o
SET claimed_by = $2,
    claimed_until = now() + make_interval(secs => $3)
FROM chosen
WHERE o.id = chosen.id
"""
    + _RETURNING
)

# A SENT row keeps no lease. Only rows still PENDING are touched: a row requeued or failed by
# an operator meanwhile is left alone.
_MARK_SENT_SQL = """
UPDATE event_outbox
SET status = 'SENT', sent_at = now(), claimed_by = NULL, claimed_until = NULL,
    last_error = NULL, last_error_class = NULL
WHERE id = ANY($1::uuid[]) AND status = 'PENDING'
"""

# Outage or shutdown: give the rows back without burning their retry budget (attempts counts
# rejections only). Only our own lease is released.
_RELEASE_SQL = """
UPDATE event_outbox
SET claimed_by = NULL, claimed_until = NULL
WHERE id = ANY($1::uuid[]) AND status = 'PENDING' AND claimed_by = $2
"""

_RELEASE_ALL_SQL = """
UPDATE event_outbox
SET claimed_by = NULL, claimed_until = NULL
WHERE claimed_by = $1 AND status = 'PENDING'
"""

# A rejected message: keep it PENDING (its key stays blocked behind it) until next_attempt_at,
# or FAILED once the schedule is used up. error_details keeps every attempt for operators.
_REJECTED_SQL = """
UPDATE event_outbox
SET status = CASE WHEN $3::boolean THEN 'FAILED'::outbox_status ELSE 'PENDING' END,
    next_attempt_at = now() + make_interval(secs => $4),
    attempts = attempts + 1,
    claimed_by = NULL, claimed_until = NULL,
    last_error = $5, last_error_class = $6,
    error_details = jsonb_build_object(
        'attempts', attempts + 1,
        'history', coalesce(error_details->'history', '[]'::jsonb)
                   || jsonb_build_array(jsonb_build_object(
                        'at', now(), 'error_class', $6::text, 'error', $5::text,
                        'retry_in_seconds', CASE WHEN $3::boolean THEN NULL ELSE $4 END))
    )
WHERE id = $1 AND status = 'PENDING' AND claimed_by = $2
"""


Headers = list[tuple[str, str | bytes | None]]


def _headers_of(r: asyncpg.Record) -> Headers:
    """CloudEvents 1.0 binary-mode headers (kafka protocol binding) plus the row's own headers;
    it runs once per published event."""
    source = r["source_service"] or "infinite-scribe"
    headers: Headers = [
        ("ce_specversion", b"1.0"),
        ("ce_id", str(r["event_id"]).encode()),
        ("ce_type", (r["ce_type"] or "").encode()),
        ("ce_source", f"/infinite-scribe/{source}".encode()),
        ("content-type", b"application/json"),
    ]
    if r["ce_time"]:
        headers.append(("ce_time", r["ce_time"].encode()))
    if r["key"] is not None:
        headers.append(("ce_subject", r["key"].encode()))
    if r["correlation_id"]:
        headers.append(("ce_correlationid", r["correlation_id"].encode()))
    if r["causation_id"]:
        headers.append(("ce_causationid", r["causation_id"].encode()))
    if r["traceparent"]:
        headers.append(("traceparent", r["traceparent"].encode()))
    if r["extra_headers"]:
        headers.extend((str(k), str(v).encode()) for k, v in r["extra_headers"].items())
    return headers


class OutboxStore:
    """The relay's statements; each runs in its own implicit transaction (autocommit)."""

    def __init__(
        self, pool: asyncpg.Pool, relay_id: str, lease_seconds: float, per_key: int = 1
    ) -> None:
        self.pool = pool
        self.relay_id = relay_id
        self.lease_seconds = lease_seconds
        #: Rows of one key claimed (and so in flight) at once, its head included.
        self.per_key = per_key
        #: Per share, the (bucket, key) after which the next claim starts: every key its turn.
        self._cursors: dict[Share, tuple[int, str]] = {}
        #: Rows per key in the last claim: the next claim asks for about limit / this many keys,
        #: so that a backlog of long chains does not lock far more heads than it can lease.
        self._rows_per_key = 1.0

    async def claim(self, limit: int, share: Share = WHOLE) -> list[ClaimedRow]:
        """Lease up to `limit` rows of `share`'s keys: head-of-line chains of up to `per_key`
        rows of a key, continuing round-robin over the keys."""
        keys_wanted = max(1, min(limit, round(limit / self._rows_per_key)))
        cursor = self._cursors.get(share, (share.low - 1, ""))
        records = await self.pool.fetch(
            _CLAIM_SQL,
            limit,
            self.relay_id,
            self.lease_seconds,
            cursor[1],
            keys_wanted,
            self.per_key,
            cursor[0],
            share.low,
            share.high,
        )
        keys = sorted({(r["bucket"], r["key"]) for r in records if r["key"] is not None})
        if records:
            keyless = sum(1 for r in records if r["key"] is None)  # each its own "key"
            self._rows_per_key = len(records) / (len(keys) + keyless)
        # Next time start after the last key served (in the wrapped part, if we wrapped).
        wrapped = [key for key in keys if key <= cursor]
        self._cursors[share] = max(wrapped or keys, default=cursor)
        rows = [
            ClaimedRow(
                id=r["id"],
                position=r["position"],
                topic=r["topic"],
                key=r["key"],
                attempts=r["attempts"],
                value=r["value"].encode(),
                headers=_headers_of(r),
            )
            for r in records
        ]
        # UPDATE ... RETURNING has no order; produce in commit order.
        rows.sort(key=lambda row: row.position)
        return rows

    async def mark_sent(self, ids: Sequence[UUID]) -> None:
        if ids:
            await self.pool.execute(_MARK_SENT_SQL, list(ids))

    async def release(self, ids: Sequence[UUID]) -> None:
        if ids:
            await self.pool.execute(_RELEASE_SQL, list(ids), self.relay_id)

    async def release_all(self) -> int:
        status = await self.pool.execute(_RELEASE_ALL_SQL, self.relay_id)
        return int(status.split()[-1])

    async def rejected(
        self, row_id: UUID, *, failed: bool, delay: float, error: str, error_class: str
    ) -> None:
        await self.pool.execute(
            _REJECTED_SQL, row_id, self.relay_id, failed, delay, error, error_class
        )

    async def oldest_pending_age(self) -> float:
        """Seconds since the oldest PENDING row was written (0 when none)."""
        value: Any = await self.pool.fetchval(
            # The first PENDING row by position (idx_event_outbox_pending) is the oldest one.
            "SELECT coalesce(extract(epoch FROM now() - (SELECT created_at FROM event_outbox "
            "WHERE status = 'PENDING' ORDER BY position LIMIT 1)), 0)"
        )
        return float(value)

    async def counts(self) -> dict[str, int]:
        """Unsent rows per status. SENT rows are history, not backlog: counting them would scan
        the whole table every refresh, while this reads idx_event_outbox_unsent_key only."""
        records = await self.pool.fetch(
            "SELECT status::text AS status, count(*) AS n FROM event_outbox "
            "WHERE status <> 'SENT' GROUP BY status"
        )
        return {r["status"]: int(r["n"]) for r in records}
