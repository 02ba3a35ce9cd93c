"""The PostgreSQL idempotency store (the default): the `idempotency_cache` table.

The lease's expiry time doubles as the fencing token: a takeover writes a new one, so the
crashed (or merely slow) first holder can no longer complete or release the key.
"""

from datetime import datetime

import asyncpg

from infinite_scribe.application.idempotency import (
    Claimed,
    ClaimOutcome,
    ClaimRequest,
    InUse,
    Mismatch,
    Replay,
    StoredResponse,
)

# One statement claims the key: INSERT, or on conflict take the row over only when its lease
# expired (a crashed holder) or its answer expired. Under READ COMMITTED, ON CONFLICT waits for a
# concurrent claimer to commit and then evaluates the WHERE on the newest row version, so exactly
# one of N racing requests gets a row back from `claim`. The others read the row that beat them
# in the same round trip (the UNION branch); when that row committed after this statement's
# snapshot, the branch is empty and the caller simply runs the statement again.
_CLAIM_SQL = """
WITH claim AS (
    INSERT INTO idempotency_cache AS c
        (scope, key, fingerprint, state, lease_expires_at, expires_at)
    VALUES ($1, $2, $3, 'IN_PROGRESS',
            now() + make_interval(secs => $4), now() + make_interval(secs => $5))
    ON CONFLICT (scope, key) DO UPDATE
    SET fingerprint = EXCLUDED.fingerprint, state = 'IN_PROGRESS',
        lease_expires_at = EXCLUDED.lease_expires_at, expires_at = EXCLUDED.expires_at,
        created_at = now(), completed_at = NULL, response_status = NULL,
        response_headers = NULL, response_body = NULL
    WHERE (c.state = 'IN_PROGRESS' AND c.lease_expires_at <= now())
       OR (c.state = 'COMPLETED' AND c.expires_at <= now())
    RETURNING c.lease_expires_at
)
SELECT true AS claimed, lease_expires_at, NULL::text AS fingerprint,
       NULL::idempotency_state AS state, NULL::int AS response_status,
       NULL::jsonb AS response_headers, NULL::bytea AS response_body, 0::float8 AS remaining
FROM claim
UNION ALL
SELECT false, lease_expires_at, fingerprint, state, response_status, response_headers,
       response_body, GREATEST(extract(epoch FROM lease_expires_at - now()), 0)::float8
FROM idempotency_cache
WHERE scope = $1 AND key = $2 AND NOT EXISTS (SELECT 1 FROM claim)
"""

# Only the lease holder (same token) may finish the entry; after a takeover this updates nothing.
_COMPLETE_SQL = """
UPDATE idempotency_cache
SET state = 'COMPLETED', response_status = $4, response_headers = $5, response_body = $6,
    completed_at = now(), lease_expires_at = NULL, expires_at = now() + make_interval(secs => $7)
WHERE scope = $1 AND key = $2 AND state = 'IN_PROGRESS' AND lease_expires_at = $3
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


class PostgresIdempotencyStore:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool

    async def claim(self, request: ClaimRequest) -> ClaimOutcome:
        ttl = max(float(request.ttl_seconds), request.lease_seconds)
        for _ in range(_CLAIM_ATTEMPTS):
            row = await self.pool.fetchrow(
                _CLAIM_SQL,
                request.scope,
                request.key,
                request.fingerprint,
                float(request.lease_seconds),
                ttl,
            )
            if row is None:
                continue  # the winner committed after our snapshot (or was just released)
            if row["claimed"]:
                return Claimed(row["lease_expires_at"].isoformat())
            if row["fingerprint"] != request.fingerprint:
                return Mismatch()
            if row["state"] == "IN_PROGRESS":
                return InUse(float(row["remaining"]))
            headers = [(str(name), str(value)) for name, value in row["response_headers"] or []]
            return Replay(
                StoredResponse(row["response_status"], headers, bytes(row["response_body"]))
            )
        return InUse(1.0)

    async def complete(
        self, scope: str, key: str, token: str, response: StoredResponse, ttl_seconds: int
    ) -> bool:
        result = await self.pool.execute(
            _COMPLETE_SQL,
            scope,
            key,
            datetime.fromisoformat(token),
            response.status,
            [list(pair) for pair in response.headers],
            response.body,
            float(ttl_seconds),
        )
        return bool(result == "UPDATE 1")

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

    async def close(self) -> None:
        """The pool belongs to the caller."""
