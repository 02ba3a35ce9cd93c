"""The PostgreSQL idempotency store (the default): the `idempotency_cache` table.

The lease's expiry time doubles as the fencing token: a takeover writes a new one, so the
crashed (or merely slow) first holder can no longer complete or release the key. Statements are
kept plain on purpose: a batched `unnest` variant measured 3-4x the server CPU per request
(planning), more than the round trips it saved (docs/decisions/0302).
"""

from datetime import datetime

import asyncpg

from infinite_scribe.application.ports.idempotency import (
    Claimed,
    ClaimOutcome,
    ClaimRequest,
    InUse,
    Mismatch,
    Replay,
    StoredResponse,
)
from infinite_scribe.persistence.database import create_pool, keep_session

# A user's command that holds the key (its inbox row is the key's record, decision 7204): the
# scope names the user (application/idempotency.user_scope); the key index is (user_id, key).
_COMMAND_HOLDS_KEY = """
SELECT 1 FROM command_inbox
WHERE user_id = substring($1 FROM '^user:([0-9a-f-]{36})$')::uuid AND idempotency_key = $2
"""

# One statement claims the key: INSERT, or on conflict take the row over only when its lease
# expired (a crashed holder) or its answer expired. Under READ COMMITTED, ON CONFLICT waits for a
# concurrent claimer to commit and then evaluates the WHERE on the newest row version, so exactly
# one of N racing requests gets a row back. expires_at covers the lease and the answer's ttl.
# A key a command holds is never claimed: the key answered another request. `scribe_key_held`
# (migration 0038) is the key's one claim across this table and the inbox: a lock the command's
# write takes too, then the inbox read afresh (a command writing the key meanwhile is seen).
_CLAIM_SQL = """
INSERT INTO idempotency_cache AS c
    (scope, key, fingerprint, state, lease_expires_at, expires_at)
SELECT $1, $2, $3, 'IN_PROGRESS',
       now() + make_interval(secs => $4), now() + make_interval(secs => $5)
WHERE NOT scribe_key_held('cache', $1, $2)
ON CONFLICT (scope, key) DO UPDATE
SET fingerprint = EXCLUDED.fingerprint, state = 'IN_PROGRESS',
    lease_expires_at = EXCLUDED.lease_expires_at, expires_at = EXCLUDED.expires_at,
    created_at = now(), completed_at = NULL, response_status = NULL,
    response_headers = NULL, response_body = NULL
WHERE (c.state = 'IN_PROGRESS' AND c.lease_expires_at <= now())
   OR (c.state = 'COMPLETED' AND c.expires_at <= now())
RETURNING c.lease_expires_at
"""

# Only after a lost claim: why it was lost. A plain read is enough, the row it sees is the one
# that beat us (committed, since ON CONFLICT waited for it); if it is gone already, claim again.
# A command holding the key reads as an answer to no request of this route ('' matches none).
_EXISTING_SQL = f"""
SELECT fingerprint, state::text, response_status, response_headers,
       response_body, GREATEST(extract(epoch FROM lease_expires_at - now()), 0)::float8 AS remaining
FROM idempotency_cache WHERE scope = $1 AND key = $2
UNION ALL
SELECT '', 'COMPLETED', NULL, NULL, NULL, 0 WHERE EXISTS ({_COMMAND_HOLDS_KEY})
LIMIT 1
"""

# Only the lease holder (same token) may finish the entry; after a takeover it updates nothing.
# expires_at was set by the claim (ttl counted from the start of the request) and no indexed
# column changes here, so PostgreSQL can update the row in place (a HOT update, no index work).
_COMPLETE_SQL = """
UPDATE idempotency_cache
SET state = 'COMPLETED', response_status = $4, response_headers = $5,
    response_body = $6, completed_at = now(), lease_expires_at = NULL
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
    def __init__(self, pool: asyncpg.Pool, *, owns_pool: bool = False) -> None:
        self.pool = pool
        self.owns_pool = owns_pool

    async def claim(self, request: ClaimRequest) -> ClaimOutcome:
        ttl = max(float(request.ttl_seconds), request.lease_seconds)
        for _ in range(_CLAIM_ATTEMPTS):
            lease = await self.pool.fetchval(
                _CLAIM_SQL,
                request.scope,
                request.key,
                request.fingerprint,
                float(request.lease_seconds),
                ttl,
            )
            if lease is not None:
                return Claimed(lease.isoformat())
            row = await self.pool.fetchrow(_EXISTING_SQL, request.scope, request.key)
            if row is not None:
                return _lost_claim(row, request)
            # Released between our two statements: claim again.
        return InUse(1.0)

    async def complete(
        self, scope: str, key: str, token: str, response: StoredResponse, ttl_seconds: int
    ) -> bool:
        """Store the answer; it expires `ttl_seconds` after the claim (set by `claim`)."""
        result = await self.pool.execute(
            _COMPLETE_SQL,
            scope,
            key,
            datetime.fromisoformat(token),
            response.status,
            response.headers,
            response.body,
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

    @classmethod
    async def open(cls, database_url: str, *, max_size: int = 10) -> "PostgresIdempotencyStore":
        """A store with its own small pool whose commits do not wait for the WAL flush.

        Safe here: the claim is flushed anyway by the request's own (synchronous) commit, which
        comes later in the WAL; a completion lost in a database crash leaves a claim whose lease
        expires, exactly as an API process crashing at that moment would (docs/decisions/0302).
        """
        pool = await create_pool(
            database_url,
            min_size=1,
            max_size=max_size,
            server_settings={"synchronous_commit": "off"},
            # The store only runs single statements, never SET or LISTEN: no reset on release.
            reset=keep_session,
        )
        return cls(pool, owns_pool=True)

    async def close(self) -> None:
        if self.owns_pool:
            await self.pool.close()


def _lost_claim(row: asyncpg.Record, request: ClaimRequest) -> ClaimOutcome:
    if row["fingerprint"] != request.fingerprint:
        return Mismatch()
    if row["state"] == "IN_PROGRESS":
        return InUse(float(row["remaining"]))
    pairs = row["response_headers"] or []  # decoded by the pool's JSONB codec
    headers = [(str(name), str(value)) for name, value in pairs]
    return Replay(StoredResponse(row["response_status"], headers, bytes(row["response_body"])))
