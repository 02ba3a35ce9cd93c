"""The idempotency port: claim a (scope, key) for one request, then store or free its answer."""

from dataclasses import dataclass
from typing import Protocol


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
