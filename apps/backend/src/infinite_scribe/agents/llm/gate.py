"""The model as a shared resource of one worker process: at most `max_concurrency` calls in
flight, and one provider-wide slow-down when the provider says 429.

A 429 with `Retry-After` holds every call to the provider until that time (not only the one
that got it: the limit is the provider's, so all requests back off together), then the call is
tried again. Timeouts and outages are retried too, with exponential backoff; the adapters do no
retries of their own (the SDK's `max_retries` is 0), so this is the one place that decides.
"""

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from infinite_scribe.agents.llm.port import (
    DraftCallback,
    GenerationError,
    GenerationRequest,
    InvalidOutput,
    LLMProvider,
    OutlineWriter,
    RateLimited,
    count_call,
)
from infinite_scribe.domain.outline_plan import BatchBrief
from infinite_scribe.domain.proposals import Proposal

logger = logging.getLogger(__name__)

T = TypeVar("T")

#: Slow-down after a 429 that gave no Retry-After.
DEFAULT_RATE_LIMIT_PAUSE = 1.0
#: Backoff of other retryable failures: first wait, doubling, capped.
BACKOFF_FIRST, BACKOFF_CAP = 0.5, 10.0


class ModelGate:
    """An `LLMProvider` around another: a concurrency cap, a shared 429 pause and retries."""

    def __init__(
        self,
        provider: LLMProvider,
        *,
        max_concurrency: int,
        max_retries: int,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.provider = provider
        self.name = provider.name
        #: What a proposal's provenance names (the wrapped provider's).
        self.model: str | None = getattr(provider, "model", None)
        self.prompt_version: str | None = getattr(provider, "prompt_version", None)
        self.max_retries = max_retries
        self._slots = asyncio.Semaphore(max_concurrency)
        self._clock = clock
        #: No call starts before this (monotonic) time: the provider asked us to slow down.
        self.not_before = 0.0
        self.in_flight = 0
        self.peak_in_flight = 0
        self.rate_limited = 0
        #: Called once per 429 (a metric).
        self.on_rate_limited: Callable[[], None] | None = None

    async def generate(
        self,
        request: GenerationRequest,
        draft: DraftCallback | None = None,
    ) -> Proposal:
        return await self.run(lambda: self.provider.generate(request, draft))

    @property
    def writes_outlines(self) -> bool:
        """Whether the wrapped provider writes an outline's chapters in batches."""
        return isinstance(self.provider, OutlineWriter)

    async def outline_chapters(
        self,
        request: GenerationRequest,
        brief: BatchBrief,
        draft: DraftCallback | None = None,
    ) -> list[dict[str, Any]]:
        provider = self.provider
        if not isinstance(provider, OutlineWriter):
            raise InvalidOutput(f"{self.name} writes no outline in batches", retryable=False)
        return await self.run(lambda: provider.outline_chapters(request, brief, draft))

    async def run(self, call: Callable[[], Awaitable[T]]) -> T:
        """`call()` (one model call of the wrapped provider) under the gate: its turn among
        `max_concurrency`, the shared 429 pause and the retries (a chapter's beats and prose
        go through here as a proposal does)."""
        attempt = 0
        while True:
            await self._wait_turn()
            try:
                async with self._slots:
                    await self._wait_turn()  # a 429 may have arrived while we queued
                    self._moved(+1)
                    count_call()  # a retry here is an attempt of the proposal's provenance
                    try:
                        return await call()
                    finally:
                        self._moved(-1)
            except GenerationError as error:
                attempt += 1
                if not error.retryable or attempt > self.max_retries:
                    raise
                await self._back_off(error, attempt)

    async def _wait_turn(self) -> None:
        delay = self.not_before - self._clock()
        while delay > 0:
            await asyncio.sleep(delay)
            delay = self.not_before - self._clock()

    async def _back_off(self, error: GenerationError, attempt: int) -> None:
        if isinstance(error, RateLimited):
            self.rate_limited += 1
            if self.on_rate_limited is not None:
                self.on_rate_limited()
            pause = error.retry_after if error.retry_after is not None else DEFAULT_RATE_LIMIT_PAUSE
            until = self._clock() + pause
            if until > self.not_before:
                logger.warning("the model provider asked to slow down for %.2f s", pause)
                self.not_before = until
            return  # _wait_turn waits for it, together with every other call
        await asyncio.sleep(min(BACKOFF_FIRST * 2 ** (attempt - 1), BACKOFF_CAP))

    def _moved(self, by: int) -> None:
        self.in_flight += by
        self.peak_in_flight = max(self.peak_in_flight, self.in_flight)

    async def aclose(self) -> None:
        await self.provider.aclose()
