"""A model call retried with backoff: the one retry rule of the agent's handlers (a Genesis
stage's proposal, a chapter's draft). A retryable `GenerationError` (an outage, a timeout, a
rate limit) is tried again after `backoff * 2**(n-1)` seconds up to `attempts` calls in all;
anything else, or the last failure, is `GaveUp`. Other exceptions (a cancellation) pass."""

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

from infinite_scribe.agents.llm.port import GenerationError
from infinite_scribe.agents.metrics import AgentMetrics

logger = logging.getLogger(__name__)

T = TypeVar("T")


@dataclass(frozen=True)
class Attempted(Generic[T]):
    """What the call returned, on which attempt, and when that attempt started (monotonic)."""

    result: T
    attempt: int
    started: float


class GaveUp(Exception):
    """The call failed for good: `error` is the last failure, after `attempts` calls."""

    def __init__(self, error: GenerationError, attempts: int) -> None:
        super().__init__(str(error))
        self.error, self.attempts = error, attempts


async def attempted(
    call: Callable[[], Awaitable[T]],
    *,
    attempts: int,
    backoff_seconds: float,
    metrics: AgentMetrics,
    what: str,
) -> Attempted[T]:
    """`call()` until it answers, a failure is not retryable, or `attempts` calls were made."""
    if attempts < 1:
        raise ValueError("at least one attempt")
    attempt = 1
    while True:
        started = time.monotonic()
        try:
            return Attempted(await call(), attempt, started)
        except GenerationError as error:
            if not error.retryable or attempt >= attempts:
                raise GaveUp(error, attempt) from error
            logger.warning("%s attempt %d failed: %s; retrying", what, attempt, error)
            metrics.retries.inc()
            await asyncio.sleep(backoff_seconds * 2 ** (attempt - 1))
            attempt += 1
