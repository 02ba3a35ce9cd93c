"""Stream grants: how a browser's `EventSource` reopens a session's stream after a disconnect
without fetching a new ticket (decision 1901).

An `EventSource` reconnects to the same URL, so it presents the ticket it already spent. When
a stream opens, the answer therefore also sets a grant: an HMAC-signed cookie naming the user
and the session, `HttpOnly`, `SameSite=Strict`, scoped to the stream's path and valid for
GRANT_TTL_SECONDS, and never past the expiry of the token that opened the stream (`until`, in
the signed claims: issue 28). A reconnect that carries a valid grant for its session is let in
(the grant is renewed, with the same `until`); the session's ownership and trash status are
checked again as on every open. Grants are
stateless (any API process verifies them with the JWT secret), so a reconnect reaches a
restarted or another process just the same; they never leave the browser's cookie jar, unlike
a URL, which ends up in access logs.
"""

import base64
import hashlib
import hmac
import time
from collections.abc import Mapping
from uuid import UUID

from starlette.responses import Response

from infinite_scribe.api.paths import STREAM_PATH
from infinite_scribe.application.ports.stream import Follower

#: How long a grant lets a browser reopen a stream after it last opened it.
GRANT_TTL_SECONDS = 12 * 3600
_COOKIE_PREFIX = "scribe_stream_"
_VERSION = "2"
_CONTEXT = b"infinite-scribe stream grant v1"


class StreamGrants:
    """Signs and verifies grants with a key derived from the JWT secret (never the secret
    itself, so a grant can never pass for a token or the other way round)."""

    def __init__(self, secret: str, ttl_seconds: int = GRANT_TTL_SECONDS) -> None:
        self._key = hmac.new(secret.encode(), _CONTEXT, hashlib.sha256).digest()
        self.ttl_seconds = ttl_seconds

    @staticmethod
    def cookie_name(session_id: UUID) -> str:
        """One cookie per session, so a page may follow several streams."""
        return f"{_COOKIE_PREFIX}{session_id.hex}"

    def sign(self, follower: Follower, session_id: UUID, now: float | None = None) -> str:
        expires = self.expiry(follower, now)
        claims = (
            f"{_VERSION}.{follower.user_id.hex}.{session_id.hex}.{expires}.{int(follower.until)}"
        )
        return f"{claims}.{self._mac(claims)}"

    def expiry(self, follower: Follower, now: float | None = None) -> int:
        """GRANT_TTL_SECONDS from now, but not past the opener's token."""
        started = time.time() if now is None else now
        return int(min(started + self.ttl_seconds, follower.until))

    def follower_of(
        self, cookies: Mapping[str, str], session_id: UUID, now: float | None = None
    ) -> Follower | None:
        """Who a valid, unexpired grant for `session_id` names; None for anything else."""
        value = cookies.get(self.cookie_name(session_id))
        if not value or len(value) > 200:
            return None
        claims, _, mac = value.rpartition(".")
        if not hmac.compare_digest(mac.encode(), self._mac(claims).encode()):
            return None
        try:
            version, user_hex, session_hex, expires, until = claims.split(".")
            if version != _VERSION or session_hex != session_id.hex:
                return None
            if int(expires) <= (time.time() if now is None else now):
                return None
            return Follower(UUID(hex=user_hex), float(until))
        except ValueError:  # signed by us, so only an older format could get here
            return None

    def attach(
        self, response: Response, follower: Follower, session_id: UUID, secure: bool
    ) -> None:
        """Set (or renew) the grant on the answer that opens the stream."""
        now = time.time()
        response.set_cookie(
            self.cookie_name(session_id),
            self.sign(follower, session_id, now),
            max_age=max(int(min(self.ttl_seconds, follower.until - now)), 0),
            path=STREAM_PATH,
            secure=secure,
            httponly=True,
            samesite="strict",
        )

    def _mac(self, claims: str) -> str:
        mac = hmac.new(self._key, claims.encode(), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(mac).decode().rstrip("=")
