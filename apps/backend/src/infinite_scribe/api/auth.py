"""JWT bearer tokens: HS256 with JWT_SECRET_KEY (RS256 with JWT_PUBLIC_KEY as an option)."""

import time
from collections.abc import Iterable, Mapping
from uuid import UUID

import jwt

from infinite_scribe.domain.errors import AuthenticationError
from infinite_scribe.settings.settings import Settings

#: The role claim that opens the console's operator pages (docs/console.md).
OPERATOR_ROLE = "operator"


def create_access_token(
    settings: Settings,
    user_id: UUID,
    ttl_seconds: int = 3600,
    *,
    roles: Iterable[str] = (),
    extra: Mapping[str, object] | None = None,
) -> str:
    """Sign a token for `user_id` (`sub`) expiring in `ttl_seconds` (`exp`), with `roles` (and
    `extra` claims)."""
    now = int(time.time())
    claims: dict[str, object] = {**(extra or {}), "sub": str(user_id), "iat": now}
    claims["exp"] = now + ttl_seconds
    if roles:
        claims["roles"] = sorted(set(roles))
    if settings.jwt_algorithm == "RS256":
        raise ValueError("RS256 tokens are signed by their issuer: only its public key is here")
    return jwt.encode(claims, settings.jwt_secret_key.get_secret_value(), algorithm="HS256")


def decode_access_token(settings: Settings, token: str) -> UUID:
    """Verify signature, expiry and subject; return the user id. Only the configured algorithm
    is accepted, so `alg=none` and algorithm-confusion tokens are refused."""
    algorithm = settings.jwt_algorithm
    key = (
        settings.jwt_public_key
        if algorithm == "RS256"
        else settings.jwt_secret_key.get_secret_value()
    )
    if not key:
        raise AuthenticationError("Token verification key is not configured", "INVALID_TOKEN")
    try:
        claims = jwt.decode(token, key, algorithms=[algorithm], options={"require": ["exp", "sub"]})
    except jwt.ExpiredSignatureError as error:
        raise AuthenticationError("Token has expired", "TOKEN_EXPIRED") from error
    except jwt.MissingRequiredClaimError as error:
        raise AuthenticationError(
            f"Token lacks the {error.claim!r} claim", "INVALID_TOKEN"
        ) from error
    except jwt.InvalidSignatureError as error:
        raise AuthenticationError("Token signature is invalid", "INVALID_TOKEN") from error
    except (jwt.InvalidTokenError, OverflowError, RecursionError) as error:
        # OverflowError / RecursionError: absurd claims (huge numbers, deep nesting) are a 401.
        raise AuthenticationError(
            "Token is malformed or not acceptable", "INVALID_TOKEN"
        ) from error
    try:
        return UUID(str(claims["sub"]))
    except ValueError as error:
        raise AuthenticationError("Token subject is not a user id", "INVALID_TOKEN") from error


def bearer_token(authorization: str | None) -> str:
    """Extract the token from an `Authorization: Bearer <token>` header value."""
    if not authorization:
        raise AuthenticationError("Missing bearer token", "MISSING_TOKEN")
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise AuthenticationError("Authorization header must be 'Bearer <token>'", "INVALID_TOKEN")
    return token.strip()


#: The longest name shown for a writer (a token's claim is not ours to trust with a page).
MAX_NAME = 100
_CONTROL = {code: None for code in (*range(32), 127)}


def name_of_verified(token: str) -> str | None:
    """The writer's name in a token that has already passed `decode_access_token`: its `name`
    or `preferred_username` claim (OpenID Connect's), printable and at most MAX_NAME long;
    None when it has neither (issue 55: a page names the writer, not an id)."""
    claims = jwt.decode(token, options={"verify_signature": False})
    for claim in ("name", "preferred_username"):
        value = claims.get(claim)
        if isinstance(value, str) and (name := value.translate(_CONTROL).strip()[:MAX_NAME]):
            return name
    return None


def roles_of_verified(token: str) -> frozenset[str]:
    """The roles of a token that has already passed `decode_access_token`: a `roles` list of
    strings, or a single `role` string (both shapes are common in identity providers); any
    other shape grants nothing."""
    claims = jwt.decode(token, options={"verify_signature": False})
    found: set[str] = set()
    listed = claims.get("roles")
    if isinstance(listed, list):
        found.update(role for role in listed if isinstance(role, str))
    single = claims.get("role")
    if isinstance(single, str):
        found.add(single)
    return frozenset(found)
