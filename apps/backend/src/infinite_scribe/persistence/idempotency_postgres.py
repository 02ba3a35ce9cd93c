"""The PostgreSQL idempotency store (the default): the `idempotency_cache` table.

The lease's expiry time doubles as the fencing token: a takeover writes a new one, so the
crashed (or merely slow) first holder can no longer complete or release the key. Claims and
completions of concurrent requests share statements (see batching.py): one INSERT claims every
key queued meanwhile, so a busy API pays one round trip and one commit per batch, not per request.
"""

from collections.abc import Sequence
from datetime import datetime

import asyncpg
import orjson

from infinite_scribe.application.idempotency import (
    Claimed,
    ClaimOutcome,
    ClaimRequest,
    InUse,
    Mismatch,
    Replay,
    StoredResponse,
)
from infinite_scribe.persistence.batching import Batcher
from infinite_scribe.persistence.database import asyncpg_dsn

# One statement claims each key: INSERT, or on conflict take the row over only when its lease
# expired (a crashed holder) or its answer expired. Under READ COMMITTED, ON CONFLICT waits for a
# concurrent claimer to commit and then evaluates the WHERE on the newest row version, so exactly
# one of N racing requests gets its key back from `claim`. The others read the row that beat them
# in the same round trip (the UNION branch); a row committed after this statement's snapshot is
# invisible there, so such a key is in neither branch and is simply claimed again. Input rows are
# sorted by (scope, key), so two API processes lock shared keys in the same order (no deadlock).
_CLAIM_SQL = """
WITH input AS (
    SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::float8[], $5::float8[])
        AS i(scope, key, fingerprint, lease, ttl)
), claim AS (
    INSERT INTO idempotency_cache AS c
        (scope, key, fingerprint, state, lease_expires_at, expires_at)
    SELECT scope, key, fingerprint, 'IN_PROGRESS',
           now() + make_interval(secs => lease), now() + make_interval(secs => ttl)
    FROM input ORDER BY scope, key
    ON CONFLICT (scope, key) DO UPDATE
    SET fingerprint = EXCLUDED.fingerprint, state = 'IN_PROGRESS',
        lease_expires_at = EXCLUDED.lease_expires_at, expires_at = EXCLUDED.expires_at,
        created_at = now(), completed_at = NULL, response_status = NULL,
        response_headers = NULL, response_body = NULL
    WHERE (c.state = 'IN_PROGRESS' AND c.lease_expires_at <= now())
       OR (c.state = 'COMPLETED' AND c.expires_at <= now())
    RETURNING c.scope, c.key, c.lease_expires_at, c.fingerprint
)
SELECT true AS claimed, scope, key, lease_expires_at, fingerprint,
       NULL::idempotency_state AS state, NULL::int AS response_status,
       NULL::text AS response_headers, NULL::bytea AS response_body, 0::float8 AS remaining
FROM claim
UNION ALL
SELECT false, c.scope, c.key, c.lease_expires_at, c.fingerprint, c.state, c.response_status,
       c.response_headers::text, c.response_body,
       GREATEST(extract(epoch FROM c.lease_expires_at - now()), 0)::float8
FROM idempotency_cache c JOIN input USING (scope, key)
WHERE NOT EXISTS (SELECT 1 FROM claim WHERE claim.scope = c.scope AND claim.key = c.key)
"""

# Only the lease holder (same token) may finish an entry; after a takeover it updates nothing.
_COMPLETE_SQL = """
UPDATE idempotency_cache c
SET state = 'COMPLETED', response_status = d.status, response_headers = d.headers::jsonb,
    response_body = d.body, completed_at = now(), lease_expires_at = NULL,
    expires_at = now() + make_interval(secs => d.ttl)
FROM (
    SELECT * FROM unnest($1::text[], $2::text[], $3::timestamptz[], $4::int[], $5::text[],
                         $6::bytea[], $7::float8[])
        AS u(scope, key, token, status, headers, body, ttl)
    ORDER BY scope, key
) d
WHERE c.scope = d.scope AND c.key = d.key AND c.state = 'IN_PROGRESS'
  AND c.lease_expires_at = d.token
RETURNING c.scope, c.key
"""

_RELEASE_SQL = """
DELETE FROM idempotency_cache
WHERE scope = $1 AND key = $2 AND state = 'IN_PROGRESS' AND lease_expires_at = $3
"""

# Bounded batches keep each DELETE short; SKIP LOCKED lets two cleaners (or a claim taking an
# expired row over) proceed without waiting on each other. A running claim is never expired:
# its expires_at is at least its lease.
_CLEANUP_SQL = """
DELETE FROM idempotency_cache
WHERE (scope, key) IN (
    SELECT scope, key FROM idempotency_cache
    WHERE expires_at <= now()
      AND (state = 'COMPLETED' OR lease_expires_at <= now())
    LIMIT $1
    FOR UPDATE SKIP LOCKED
)
"""

_CLAIM_ATTEMPTS = 5

Completion = tuple[str, str, str, StoredResponse, int]


class PostgresIdempotencyStore:
    def __init__(self, pool: asyncpg.Pool, *, owns_pool: bool = False) -> None:
        self.pool = pool
        self.owns_pool = owns_pool
        self._claims: Batcher[ClaimRequest, ClaimOutcome | None] = Batcher(self._claim_batch)
        self._completions: Batcher[Completion, bool] = Batcher(self._complete_batch)

    async def claim(self, request: ClaimRequest) -> ClaimOutcome:
        for _ in range(_CLAIM_ATTEMPTS):
            outcome = await self._claims.submit(request)
            if outcome is not None:
                return outcome
            # The winner committed after our snapshot (or was just released): claim again.
        return InUse(1.0)

    async def _claim_batch(self, requests: Sequence[ClaimRequest]) -> list[ClaimOutcome | None]:
        # A key may appear twice in one batch (concurrent requests with one key); ON CONFLICT
        # cannot touch a row twice in one statement, so the first sends and the rest follow it.
        firsts: dict[tuple[str, str], ClaimRequest] = {}
        for request in requests:
            firsts.setdefault((request.scope, request.key), request)
        sent = sorted(firsts.values(), key=lambda r: (r.scope, r.key))
        rows = await self.pool.fetch(
            _CLAIM_SQL,
            [r.scope for r in sent],
            [r.key for r in sent],
            [r.fingerprint for r in sent],
            [float(r.lease_seconds) for r in sent],
            [max(float(r.ttl_seconds), r.lease_seconds) for r in sent],
        )
        by_key = {(row["scope"], row["key"]): row for row in rows}
        outcomes: list[ClaimOutcome | None] = []
        for request in requests:
            row = by_key.get((request.scope, request.key))
            first = firsts[(request.scope, request.key)] is request
            outcomes.append(_outcome(row, request, first))
        return outcomes

    async def complete(
        self, scope: str, key: str, token: str, response: StoredResponse, ttl_seconds: int
    ) -> bool:
        return await self._completions.submit((scope, key, token, response, ttl_seconds))

    async def _complete_batch(self, items: Sequence[Completion]) -> list[bool]:
        rows = await self.pool.fetch(
            _COMPLETE_SQL,
            [item[0] for item in items],
            [item[1] for item in items],
            [datetime.fromisoformat(item[2]) for item in items],
            [item[3].status for item in items],
            # JSON text: nested lists would read as extra array dimensions.
            [orjson.dumps(item[3].headers).decode() for item in items],
            [item[3].body for item in items],
            [float(item[4]) for item in items],
        )
        done = {(row["scope"], row["key"]) for row in rows}
        return [(item[0], item[1]) in done for item in items]

    async def release(self, scope: str, key: str, token: str) -> None:
        await self.pool.execute(_RELEASE_SQL, scope, key, datetime.fromisoformat(token))

    async def invalidate(self, scope: str, key: str) -> bool:
        result = await self.pool.execute(
            "DELETE FROM idempotency_cache WHERE scope = $1 AND key = $2 AND state = 'COMPLETED'",
            scope,
            key,
        )
        return bool(result == "DELETE 1")

    async def cleanup(self, batch_size: int = 1000, max_batches: int | None = None) -> int:
        total = 0
        batches = 0
        while max_batches is None or batches < max_batches:
            result = await self.pool.execute(_CLEANUP_SQL, batch_size)
            deleted = int(result.split()[-1])
            total += deleted
            batches += 1
            if deleted < batch_size:
                break
        return total

    @classmethod
    async def open(cls, database_url: str, *, max_size: int = 4) -> "PostgresIdempotencyStore":
        """A store with its own small pool whose commits do not wait for the WAL flush.

        Safe here: the claim is flushed anyway by the request's own (synchronous) commit, which
        comes later in the WAL; a completion lost in a database crash leaves a claim whose lease
        expires, exactly as an API process crashing at that moment would (docs/decisions/0302).
        """
        pool = await asyncpg.create_pool(
            asyncpg_dsn(database_url),
            min_size=1,
            max_size=max_size,
            server_settings={"synchronous_commit": "off"},
        )
        assert pool is not None
        return cls(pool, owns_pool=True)

    async def close(self) -> None:
        if self.owns_pool:
            await self.pool.close()


def _outcome(row: asyncpg.Record | None, request: ClaimRequest, first: bool) -> ClaimOutcome | None:
    """What one request gets from its key's row (None: not seen, claim again)."""
    if row is None:
        return None
    if row["claimed"]:
        if first:
            return Claimed(row["lease_expires_at"].isoformat())
        # A twin of the request that just claimed the key: in use, or a reuse.
        if row["fingerprint"] != request.fingerprint:
            return Mismatch()
        return InUse(request.lease_seconds)
    if row["fingerprint"] != request.fingerprint:
        return Mismatch()
    if row["state"] == "IN_PROGRESS":
        return InUse(float(row["remaining"]))
    pairs = orjson.loads(row["response_headers"]) if row["response_headers"] else []
    headers = [(str(name), str(value)) for name, value in pairs]
    return Replay(StoredResponse(row["response_status"], headers, bytes(row["response_body"])))
