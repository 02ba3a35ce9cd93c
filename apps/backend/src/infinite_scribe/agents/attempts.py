"""What the agent's two handlers (a Genesis stage's proposal, a chapter's draft) do alike: read
the request a delivery carries (`received`), call the model with the one retry rule
(`attempted`: a retryable `GenerationError` — an outage, a timeout, a rate limit — is tried
again after `backoff * 2**(n-1)` seconds up to `attempts` calls in all; anything else, or the
last failure, is `GaveUp`; other exceptions, a cancellation, pass), and give up: dead-letter
the request, then record its failure (`Retrying.settled`, how both handlers end a model call).
A retry is told (`tell`: the task's message, issue 79) which attempt it is and why the last
failed: "attempt 2 of 3: the model did not answer in 60 s"."""

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Generic, TypeVar

from infinite_scribe.agents.cancellation import Cancelled
from infinite_scribe.agents.llm.port import GenerationError
from infinite_scribe.agents.metrics import AgentMetrics
from infinite_scribe.kafka.consumer import Delivery
from infinite_scribe.kafka.consumer_tracing import consume_span, in_current_trace
from infinite_scribe.kafka.dead_letters import DeadLetters
from infinite_scribe.observability.log_context import bind, log_scope
from shared_types import EventEnvelope

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
    tell: Callable[[str], None] | None = None,
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
            if tell is not None:
                tell(f"attempt {attempt} of {attempts}: {error.message}")


@dataclass(frozen=True)
class Retrying:
    """How a handler retries its model call and where a call that failed for good goes."""

    dead_letters: DeadLetters
    metrics: AgentMetrics
    attempts: int
    backoff_seconds: float

    async def settled(
        self,
        call: Callable[[], Awaitable[T]],
        delivery: Delivery,
        task: str,
        fail: Callable[[str, str, int], Awaitable[object]],
        *,
        what: str,
        tell: Callable[[str], None],
    ) -> Attempted[T] | None:
        """`call` under the retry rule (`attempted`); None when it was cancelled (counted as
        skipped) or failed for good (dead-lettered, then `fail` records it: task, command, the
        aggregate's `...Failed` event). `task` names the task in the log lines."""
        try:
            return await attempted(
                call,
                attempts=self.attempts,
                backoff_seconds=self.backoff_seconds,
                metrics=self.metrics,
                what=what,
                tell=tell,
            )
        except Cancelled:
            logger.info("%s cancelled: model call stopped", task)
            self.metrics.cancelled.inc()
            self.metrics.skipped.inc()
        except GaveUp as failed:
            error = failed.error
            logger.error("%s failed for good: %s", task, error)
            # The dead letter first: if recording the failure then fails, the redelivery finds
            # the task still running and tries again (a second dead letter rather than none).
            await self.dead_letters.send(delivery, error.code, str(error))
            await fail(error.code, str(error), failed.attempts)
            self.metrics.failed.inc()
        return None


@contextmanager
def received(delivery: Delivery, consumer: str) -> Iterator[EventEnvelope]:
    """The request a delivery carries, inside its consume span and with its ids in every log
    line (an unreadable value raises: the consumer dead-letters it as poison)."""
    with consume_span(delivery, consumer), log_scope():
        request = EventEnvelope.model_validate_json(delivery.value or b"")
        bind(
            request_id=request.metadata.request_id,
            user_id=request.metadata.user_id,
            session_id=request.aggregate_id,
            correlation_id=request.correlation_id,
        )
        yield in_current_trace(request)
