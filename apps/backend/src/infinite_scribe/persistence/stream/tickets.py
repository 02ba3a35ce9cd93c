"""`StreamTickets` on PostgreSQL: random tickets, stored as SHA-256, spent by one conditional
UPDATE (so a ticket opens one stream, whichever API process it reaches).

A ticket is `<random>.<until>`: the expiry of the token it was issued to rides in the ticket,
covered by the stored hash (a changed `until` is an unknown ticket), so the stream and grant it
opens end with that token without a column for it."""

import hashlib
import secrets
from datetime import timedelta
from uuid import UUID

import asyncpg

from infinite_scribe.application.ports.stream import Follower, IssuedTicket
from infinite_scribe.domain.errors import AuthenticationError, NotFound
from infinite_scribe.persistence.errors import translated

#: Longest ticket accepted (ours are 43 characters); longer input is refused before hashing.
MAX_TICKET_LENGTH = 128

# Expired tickets of the same user are deleted when a new one is issued: the table stays small
# without a sweeper, and a spent ticket is kept until it expires (to answer "already used").
_ISSUE = """
WITH swept AS (
    DELETE FROM stream_tickets WHERE user_id = $2 AND expires_at < now() - interval '1 minute'
)
INSERT INTO stream_tickets (ticket_hash, user_id, session_id, expires_at)
VALUES ($1, $2, $3, least(now() + $4::interval, to_timestamp($5)))
RETURNING expires_at
"""

_REDEEM = """
UPDATE stream_tickets SET used_at = now()
WHERE ticket_hash = $1 AND session_id = $2 AND used_at IS NULL AND expires_at > now()
RETURNING user_id
"""

_WHY_NOT = """
SELECT session_id = $2 AS same_session, used_at IS NOT NULL AS used, expires_at <= now() AS expired
FROM stream_tickets WHERE ticket_hash = $1
"""


def _until_of(ticket: str) -> float:
    """The `until` a ticket carries (ours: the hash matched). A ticket minted before tickets
    carried one (a deploy's first minute) is refused: the client mints a new one."""
    _, dot, until = ticket.rpartition(".")
    if not dot or not until.isdigit():
        raise AuthenticationError("Stream ticket is not valid", "INVALID_TICKET")
    return float(until)


def _hash(ticket: str) -> bytes:
    return hashlib.sha256(ticket.encode()).digest()


class PostgresStreamTickets:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool

    async def issue(self, follower: Follower, session_id: UUID, ttl_seconds: int) -> IssuedTicket:
        until = int(follower.until)
        ticket = f"{secrets.token_urlsafe(32)}.{until}"
        ttl = timedelta(seconds=ttl_seconds)
        with translated():
            expires_at = await self.pool.fetchval(
                _ISSUE, _hash(ticket), follower.user_id, session_id, ttl, until
            )
        return IssuedTicket(ticket, expires_at)

    async def redeem(self, ticket: str, session_id: UUID) -> Follower:
        if not ticket or len(ticket) > MAX_TICKET_LENGTH:
            raise AuthenticationError("Stream ticket is not valid", "INVALID_TICKET")
        digest = _hash(ticket)
        with translated():
            user_id = await self.pool.fetchval(_REDEEM, digest, session_id)
            if user_id is not None:
                return Follower(UUID(str(user_id)), _until_of(ticket))
            why = await self.pool.fetchrow(_WHY_NOT, digest, session_id)
        if why is None:
            raise AuthenticationError("Stream ticket is not valid", "INVALID_TICKET")
        if not why["same_session"]:
            # Issued for another session: that session is not this ticket's to open.
            raise NotFound("Genesis session not found")
        if why["used"]:
            raise AuthenticationError("Stream ticket was already used", "TICKET_USED")
        raise AuthenticationError("Stream ticket has expired", "TICKET_EXPIRED")
