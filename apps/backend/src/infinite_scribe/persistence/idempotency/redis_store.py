"""The Redis idempotency store (`IDEMPOTENCY_BACKEND=redis`): one hash per key, Lua for atomicity.

Each script runs atomically on the server, so a claim is one indivisible check-and-set, like
the PostgreSQL adapter's single INSERT ... ON CONFLICT. Redis expires entries itself (PEXPIRE),
so `cleanup` has nothing to do. Lease times come from the server's clock (TIME), so several API
processes agree on when a lease ended.
"""

import json
from uuid import uuid4

from redis.asyncio import Redis

from infinite_scribe.application.ports.idempotency import (
    Claimed,
    ClaimOutcome,
    ClaimRequest,
    InUse,
    Mismatch,
    Replay,
    StoredResponse,
)

_NOW_MS = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
"""

_CLAIM_LUA = (
    _NOW_MS
    + """
local cur = redis.call('HMGET', KEYS[1], 'state', 'fp', 'lease')
local state = cur[1]
if state == false or (state == 'IN_PROGRESS' and tonumber(cur[3]) <= now) then
    redis.call('DEL', KEYS[1])
    redis.call('HSET', KEYS[1], 'state', 'IN_PROGRESS', 'fp', ARGV[1], 'token', ARGV[2],
               'lease', now + tonumber(ARGV[3]))
    redis.call('PEXPIRE', KEYS[1], ARGV[4])
    return {'claimed'}
end
if cur[2] ~= ARGV[1] then return {'mismatch'} end
if state == 'IN_PROGRESS' then return {'in_use', tostring(tonumber(cur[3]) - now)} end
local r = redis.call('HMGET', KEYS[1], 'status', 'headers', 'body')
return {'completed', r[1], r[2], r[3]}
"""
)

_COMPLETE_LUA = """
local cur = redis.call('HMGET', KEYS[1], 'state', 'token')
if cur[1] ~= 'IN_PROGRESS' or cur[2] ~= ARGV[1] then return 0 end
redis.call('HSET', KEYS[1], 'state', 'COMPLETED', 'status', ARGV[2], 'headers', ARGV[3],
           'body', ARGV[4])
redis.call('HDEL', KEYS[1], 'lease')
redis.call('PEXPIRE', KEYS[1], ARGV[5])
return 1
"""

_RELEASE_LUA = """
local cur = redis.call('HMGET', KEYS[1], 'state', 'token')
if cur[1] == 'IN_PROGRESS' and cur[2] == ARGV[1] then redis.call('DEL', KEYS[1]) end
return 0
"""

_INVALIDATE_LUA = """
if redis.call('HGET', KEYS[1], 'state') == 'COMPLETED' then
    redis.call('DEL', KEYS[1])
    return 1
end
return 0
"""


def _ms(seconds: float) -> int:
    return max(1, int(seconds * 1000))


class RedisIdempotencyStore:
    def __init__(self, client: Redis, namespace: str = "idem") -> None:
        self.client = client
        self.namespace = namespace
        self._claim = client.register_script(_CLAIM_LUA)
        self._complete = client.register_script(_COMPLETE_LUA)
        self._release = client.register_script(_RELEASE_LUA)
        self._invalidate = client.register_script(_INVALIDATE_LUA)

    @classmethod
    def from_url(cls, url: str) -> "RedisIdempotencyStore":
        return cls(Redis.from_url(url, decode_responses=False))

    def _key(self, scope: str, key: str) -> str:
        return f"{self.namespace}:{scope}:{key}"

    async def claim(self, request: ClaimRequest) -> ClaimOutcome:
        token = uuid4().hex
        ttl = max(float(request.ttl_seconds), request.lease_seconds)
        reply = await self._claim(
            keys=[self._key(request.scope, request.key)],
            args=[request.fingerprint, token, _ms(request.lease_seconds), _ms(ttl)],
        )
        kind = reply[0].decode()
        if kind == "claimed":
            return Claimed(token)
        if kind == "mismatch":
            return Mismatch()
        if kind == "in_use":
            return InUse(max(0.0, int(reply[1]) / 1000))
        headers = [(str(name), str(value)) for name, value in json.loads(reply[2])]
        return Replay(StoredResponse(int(reply[1]), headers, bytes(reply[3])))

    async def complete(
        self, scope: str, key: str, token: str, response: StoredResponse, ttl_seconds: int
    ) -> bool:
        done = await self._complete(
            keys=[self._key(scope, key)],
            args=[
                token,
                response.status,
                json.dumps(response.headers),
                response.body,
                _ms(ttl_seconds),
            ],
        )
        return bool(done)

    async def release(self, scope: str, key: str, token: str) -> None:
        await self._release(keys=[self._key(scope, key)], args=[token])

    async def invalidate(self, scope: str, key: str) -> bool:
        return bool(await self._invalidate(keys=[self._key(scope, key)], args=[]))

    async def cleanup(self, batch_size: int = 1000, max_batches: int | None = None) -> int:
        """Redis expires entries on its own (PEXPIRE); nothing is left to delete."""
        return 0

    async def close(self) -> None:
        await self.client.aclose()
