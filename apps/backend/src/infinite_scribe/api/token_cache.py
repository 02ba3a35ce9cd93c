"""Verified bearer tokens, remembered until they expire: PyJWT's verification was ~10% of the
API's CPU per command in the benchmark profile, and clients send the same token repeatedly."""

import time
from uuid import UUID

import jwt

from infinite_scribe.api.auth import decode_access_token
from infinite_scribe.domain.errors import AuthenticationError
from infinite_scribe.settings.settings import Settings

MAX_ENTRIES = 10_000
#: 9999-12-31T23:59:59Z: a later `exp` (10**400 was seen) is refused, not overflowed into a 500.
LATEST_EXPIRY = 253_402_300_799


class VerifiedTokens:
    """token -> (user id, exp); only tokens that passed full verification are stored, and the
    expiry is checked again on every use, so a cached token expires exactly like a fresh one."""

    def __init__(self, settings: Settings, max_entries: int = MAX_ENTRIES) -> None:
        self.settings = settings
        self.max_entries = max_entries
        self._verified: dict[str, tuple[UUID, float]] = {}

    def user_id(self, token: str) -> UUID:
        return self.verify(token)[0]

    def verify(self, token: str) -> tuple[UUID, float]:
        """The token's user and expiry (a timestamp); AuthenticationError when not valid. What
        a token opens ends with it: a stream, its grant (issue 28)."""
        cached = self._verified.get(token)
        if cached is not None and cached[1] > time.time():
            return cached
        self._verified.pop(token, None)
        user_id = decode_access_token(self.settings, token)  # raises AuthenticationError
        claims = jwt.decode(token, options={"verify_signature": False})
        if len(self._verified) >= self.max_entries:
            self._verified.clear()  # crude but bounded; a miss only costs one verification
        verified = self._verified[token] = (user_id, _expiry(claims.get("exp")))
        return verified


def _expiry(exp: object) -> float:
    """`exp` as a timestamp; PyJWT only compared it with now, so it may be any huge number."""
    try:
        expiry = float(exp)  # type: ignore[arg-type]
    except (TypeError, ValueError, OverflowError) as error:
        raise AuthenticationError("Token expiry is out of range", "INVALID_TOKEN") from error
    if not expiry <= LATEST_EXPIRY:  # also catches NaN
        raise AuthenticationError("Token expiry is out of range", "INVALID_TOKEN")
    return expiry
