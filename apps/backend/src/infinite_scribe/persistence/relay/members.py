"""Which share of the key space a relay claims from (issue 26): the live relays (those whose
heartbeat is recent) split the key buckets evenly, in relay-id order. A share is a preference,
not a lock: the claim's head-of-line lease keeps order whoever claims, so two relays that
briefly disagree about the shares (one joined, left or died) only contend as they did before
shares existed."""

from dataclasses import dataclass

import asyncpg

#: Keys are spread over this many buckets, `hashtext(key) & (BUCKETS - 1)` (migration 0014).
BUCKETS = 1024

_HEARTBEAT_SQL = """
INSERT INTO relay_members (relay_id, seen_at) VALUES ($1, now())
ON CONFLICT (relay_id) DO UPDATE SET seen_at = now()
"""

_LIVE_SQL = """
SELECT relay_id FROM relay_members
WHERE seen_at > now() - make_interval(secs => $1)
ORDER BY relay_id
"""

# Members silent for an hour are gone for good (a killed relay never says goodbye).
_FORGET_SQL = "DELETE FROM relay_members WHERE seen_at < now() - interval '1 hour'"


@dataclass(frozen=True)
class Share:
    """Buckets [low, high) of the key space."""

    low: int = 0
    high: int = BUCKETS
    members: int = 1

    @classmethod
    def of(cls, index: int, members: int) -> "Share":
        return cls(index * BUCKETS // members, (index + 1) * BUCKETS // members, members)


class RelayMembers:
    """The relay's row in `relay_members`."""

    def __init__(self, pool: asyncpg.Pool, relay_id: str, ttl_seconds: float) -> None:
        self.pool = pool
        self.relay_id = relay_id
        self.ttl_seconds = ttl_seconds

    async def heartbeat(self) -> Share:
        """Say this relay is alive; its share among the live relays."""
        async with self.pool.acquire() as connection:
            await connection.execute(_HEARTBEAT_SQL, self.relay_id)
            await connection.execute(_FORGET_SQL)
            live = [r["relay_id"] for r in await connection.fetch(_LIVE_SQL, self.ttl_seconds)]
        if self.relay_id not in live:  # a clock step or a slow statement: take everything
            return Share()
        return Share.of(live.index(self.relay_id), len(live))

    async def leave(self) -> None:
        """A clean stop: the others take over its share at their next heartbeat."""
        await self.pool.execute("DELETE FROM relay_members WHERE relay_id = $1", self.relay_id)
