"""What the Message Relay moves: one leased outbox row, as the store hands it to the producer."""

from dataclasses import dataclass
from uuid import UUID


@dataclass(frozen=True, slots=True)
class ClaimedRow:
    """One leased outbox row, ready to produce."""

    id: UUID
    position: int
    topic: str
    key: str | None
    attempts: int
    value: bytes
    headers: list[tuple[str, str | bytes | None]]
