"""Helpers of the live stream tests: append events to a session's aggregate directly."""

import asyncio
import uuid
from collections.abc import Callable

import asyncpg

from infinite_scribe.domain.genesis import AGGREGATE_TYPE
from shared_types import EventEnvelope, EventMetadata
from tests.support.events import COMPOSER, append_events, write_events

__all__ = ["COMPOSER", "append", "event", "until", "write_events"]


def event(session_id: str, version: int, blob: str = "") -> EventEnvelope:
    return EventEnvelope(
        event_type="Genesis.Session.StageConfirmed",
        aggregate_type=AGGREGATE_TYPE,
        aggregate_id=session_id,
        aggregate_version=version,
        correlation_id=uuid.uuid4(),
        payload={"n": version, "blob": blob} if blob else {"n": version},
        metadata=EventMetadata(user_id="u1", source_service="test", request_id="r1"),
    )


async def append(
    pool: asyncpg.Pool, session_id: str, version: int, count: int = 1, blob: str = ""
) -> list[int]:
    """Commit `count` events on the session (versions from `version`); return their ids."""
    return await append_events(pool, [event(session_id, version + n, blob) for n in range(count)])


async def until(check: Callable[[], bool], within: float = 20.0, step: float = 0.01) -> None:
    """Poll `check` until it holds; fail after `within` seconds."""
    for _ in range(int(within / step)):
        if check():
            return
        await asyncio.sleep(step)
    raise AssertionError("condition not reached in time")
