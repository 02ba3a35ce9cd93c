"""The idempotency port: claim a (scope, key) for one request, then store or free its answer.

Pure helpers (key validation, the request fingerprint, the server-side `auto:` key) live here
too, so every adapter and the HTTP middleware agree on them.
"""

import hashlib
from dataclasses import dataclass
from typing import Protocol
from urllib.parse import parse_qsl, urlencode

MAX_KEY_LENGTH = 255
AUTO_KEY_PREFIX = "auto:"


@dataclass(frozen=True)
class StoredResponse:
    """A completed 2xx answer, replayed byte for byte."""

    status: int
    headers: list[tuple[str, str]]
    body: bytes


@dataclass(frozen=True)
class Claimed:
    """This request owns the key; `token` fences its later complete/release."""

    token: str


@dataclass(frozen=True)
class Replay:
    response: StoredResponse


@dataclass(frozen=True)
class InUse:
    """Another request holds the lease; it expires in `retry_after` seconds at the latest."""

    retry_after: float


@dataclass(frozen=True)
class Mismatch:
    """The key was used for a different request (another fingerprint)."""


ClaimOutcome = Claimed | Replay | InUse | Mismatch


@dataclass(frozen=True)
class ClaimRequest:
    scope: str
    key: str
    fingerprint: str
    lease_seconds: float
    ttl_seconds: int


class IdempotencyStore(Protocol):
    """Where keys live (PostgreSQL by default, Redis as an option)."""

    async def claim(self, request: ClaimRequest) -> ClaimOutcome:
        """Atomically claim the key, or say why not (replay, in use, mismatch)."""
        ...

    async def complete(
        self, scope: str, key: str, token: str, response: StoredResponse, ttl_seconds: int
    ) -> bool:
        """Store the answer if `token` still owns the lease; False when it was taken over."""
        ...

    async def release(self, scope: str, key: str, token: str) -> None:
        """Free the key after an error answer, so a retry runs again."""
        ...

    async def invalidate(self, scope: str, key: str) -> bool:
        """Free a completed key (an operator's tool); False when there was none."""
        ...

    async def cleanup(self, batch_size: int = 1000, max_batches: int | None = None) -> int:
        """Delete expired entries in bounded batches; return how many went."""
        ...

    async def close(self) -> None: ...


def valid_key(key: str) -> bool:
    """1-255 printable ASCII characters (space included, control characters not)."""
    return 0 < len(key) <= MAX_KEY_LENGTH and all(" " <= char <= "~" for char in key)


def fingerprint(method: str, path: str, query_string: bytes, body: bytes) -> str:
    """SHA-256 over method, path, the query with its parameters sorted, and the raw body."""
    query = ""
    if query_string:
        pairs = parse_qsl(query_string.decode("latin-1"), keep_blank_values=True)
        query = urlencode(sorted(pairs))
    digest = hashlib.sha256()
    for part in (method.upper().encode(), path.encode(), query.encode("latin-1")):
        digest.update(part)
        digest.update(b"\n")
    digest.update(body)
    return digest.hexdigest()


def auto_key(request_fingerprint: str) -> str:
    """The server-side key for routes that opt in: `auto:` + 32 hex digits."""
    return AUTO_KEY_PREFIX + hashlib.sha256(request_fingerprint.encode()).hexdigest()[:32]


def user_scope(user_id: object) -> str:
    """Keys are scoped to the authenticated user: two users never share a key."""
    return f"user:{user_id}"
