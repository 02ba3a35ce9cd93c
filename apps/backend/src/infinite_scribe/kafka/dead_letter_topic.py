"""The dead-letter topic as the operator's console sees it: every letter, and replaying some
by position; over the worker's own dead-letter tools (kafka/dead_letters.py)."""

import asyncio
from uuid import UUID

import orjson

from infinite_scribe.application.ports.operator import DeadLetterView
from infinite_scribe.domain.errors import StorageUnavailable
from infinite_scribe.kafka.dead_letters import (
    DeadLetter,
    read_dead_letters,
    replay_dead_letters,
)
from infinite_scribe.settings.kafka import KafkaConnection

#: Quiet time that ends a read of the topic (it has no end marker).
IDLE_SECONDS = 0.8


class KafkaDeadLetterTopic:
    def __init__(self, cluster: KafkaConnection, topic: str) -> None:
        self.cluster = cluster
        self.topic = topic

    async def letters(self) -> list[DeadLetterView]:
        return [_view(letter) for letter in await self._read()]

    async def replay(self, positions: list[str]) -> int:
        wanted = set(positions)
        letters = [letter for letter in await self._read() if letter.position in wanted]
        return await asyncio.to_thread(replay_dead_letters, self.cluster, letters)

    async def _read(self) -> list[DeadLetter]:
        read = read_dead_letters(self.cluster, self.topic, idle_seconds=IDLE_SECONDS)
        return await asyncio.to_thread(list, read)


class NoBroker:
    """The dead-letter topic when no broker is configured: empty, and replays refuse."""

    async def letters(self) -> list[DeadLetterView]:
        return []

    async def replay(self, positions: list[str]) -> int:
        raise StorageUnavailable("No Kafka broker is configured")


def _view(letter: DeadLetter) -> DeadLetterView:
    headers = letter.headers
    event_type, event_id = _envelope_ids(letter.value)
    return DeadLetterView(
        partition=letter.partition,
        offset=letter.offset,
        key=letter.key,
        error_class=headers.get("dlq_error_class"),
        error=headers.get("dlq_error"),
        original=(
            f"{headers.get('dlq_original_topic')}/{headers.get('dlq_original_partition')}/"
            f"{headers.get('dlq_original_offset')}"
        ),
        event_type=event_type,
        event_id=event_id,
        has_origin=letter.original_topic is not None,
    )


def _envelope_ids(value: bytes | None) -> tuple[str | None, UUID | None]:
    """The letter's event type and id when it is an event envelope (else None, None)."""
    try:
        decoded = orjson.loads(value or b"")
    except orjson.JSONDecodeError:
        return None, None
    if not isinstance(decoded, dict):
        return None, None
    found, event_id = decoded.get("event_type"), decoded.get("event_id")
    try:
        parsed = UUID(event_id) if isinstance(event_id, str) else None
    except ValueError:
        parsed = None
    return (found if isinstance(found, str) else None), parsed
