"""The model as a shared resource of one worker process: at most `max_concurrency` calls in
flight, and one provider-wide slow-down when the provider says 429.

A 429 with `Retry-After` holds every call to the provider until that time (not only the one
that got it: the limit is the provider's, so all requests back off together), then the call is
tried again. That shared pause is capped at `max_pause` (LLM_RATE_LIMIT_MAX_PAUSE_SECONDS,
issue 79): a hint over it (a quota error's hour) fails its own call at once as rate-limited,
with the hint in the message, and holds the others for the cap only; no waiter waits longer
than the cap however often the pause is renewed, and a cancelled waiter leaves at once (its
wait is a sleep). A waiting generation says so (`report_progress`: its task's message), and
the calls' outcomes and the pause go to the process's `ModelActivity` (the model's health).
Timeouts and outages are retried too, with exponential backoff; the adapters do no retries of
their own (the SDK's `max_retries` is 0), so this is the one place that decides.
"""

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

from infinite_scribe.agents.llm.port import (
    DraftCallback,
    GenerationError,
    GenerationRequest,
    GenerationTimeout,
    LLMProvider,
    OutlineWriter,
    ProviderRejected,
    ProviderUnavailable,
    RateLimited,
    count_call,
    report_progress,
)
from infinite_scribe.domain.proposals import Proposal
from infinite_scribe.runtime.model_activity import ModelActivity

logger = logging.getLogger(__name__)

T = TypeVar("T")

#: Slow-down after a 429 that gave no Retry-After.
DEFAULT_RATE_LIMIT_PAUSE = 1.0
#: Backoff of other retryable failures: first wait, doubling, capped.
BACKOFF_FIRST, BACKOFF_CAP = 0.5, 10.0
#: The longest shared pause when not told (LLM_RATE_LIMIT_MAX_PAUSE_SECONDS's default).
DEFAULT_MAX_PAUSE = 30.0
#: Failures of the path to the model (not a reply that is no valid proposal: the model's).
_PATH_FAILURES = (GenerationTimeout, ProviderUnavailable, ProviderRejected, RateLimited)


class ModelGate:
    """An `LLMProvider` around another: a concurrency cap, a shared 429 pause and retries."""

    def __init__(
        self,
        provider: LLMProvider,
        *,
        max_concurrency: int,
        max_retries: int,
        max_pause: float = DEFAULT_MAX_PAUSE,
        activity: ModelActivity | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.provider = provider
        self.name = provider.name
        #: What a proposal's provenance names (the wrapped provider's).
        self.model: str | None = getattr(provider, "model", None)
        self.prompt_version: str | None = getattr(provider, "prompt_version", None)
        self.max_retries = max_retries
        self.max_pause = max_pause
        #: What the model's health reads (the offline generator's gate keeps a private one).
        self.activity = activity or ModelActivity(clock)
        self._slots = asyncio.Semaphore(max_concurrency)
        self._clock = clock
        #: No call starts before this (monotonic) time: the provider asked us to slow down.
        self.not_before = 0.0
        self._reason = ""
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
    def outline_writer(self) -> OutlineWriter | None:
        """The wrapped provider when it writes an outline's chapters in batches (its calls
        go through `run`, as every model call does)."""
        return self.provider if isinstance(self.provider, OutlineWriter) else None

    async def run(self, call: Callable[[], Awaitable[T]]) -> T:
        """`call()` (one model call of the wrapped provider) under the gate: its turn among
        `max_concurrency`, the shared 429 pause and the retries (a chapter's beats and prose
        go through here as a proposal does)."""
        attempt = 0
        while True:
            latest = self._clock() + self.max_pause  # however often the pause is renewed
            await self._wait_turn(latest)
            try:
                async with self._slots:
                    await self._wait_turn(latest)  # a 429 may have arrived while we queued
                    result = await self._called(call)
            except GenerationError as error:
                attempt += 1
                if isinstance(error, RateLimited):
                    # Every call's pause, whether or not this one is retried here (a hint
                    # over the cap raises its own failure).
                    self._rate_limited(error)
                if not error.retryable or attempt > self.max_retries:
                    raise
                if not isinstance(error, RateLimited):  # _wait_turn waits out the pause
                    await asyncio.sleep(min(BACKOFF_FIRST * 2 ** (attempt - 1), BACKOFF_CAP))
            else:
                return result

    async def _called(self, call: Callable[[], Awaitable[T]]) -> T:
        """One call, in flight and recorded: its outcome goes to the model's health."""
        self._moved(+1)
        count_call()  # a retry here is an attempt of the proposal's provenance
        try:
            result = await call()
        except _PATH_FAILURES as error:
            self.activity.failed(error.message)
            raise
        finally:
            self._moved(-1)
        self.activity.answered()
        return result

    async def _wait_turn(self, latest: float) -> None:
        """Until the shared pause ends, at most until `latest` however often another 429
        renews it (the call then goes ahead, and a 429 is one of its attempts)."""
        delay = min(self.not_before, latest) - self._clock()
        if delay <= 0:
            return
        report_progress(
            f"waiting {delay:.0f} s: the model server asked to slow down ({self._reason})"
        )
        while delay > 0:
            await asyncio.sleep(delay)  # a cancel ends it at once
            delay = min(self.not_before, latest) - self._clock()
        report_progress("asking the model again: the pause is over")

    def _rate_limited(self, error: RateLimited) -> None:
        """The shared pause the server asked for, capped; a hint over the cap fails its call."""
        self.rate_limited += 1
        if self.on_rate_limited is not None:
            self.on_rate_limited()
        pause = error.retry_after if error.retry_after is not None else DEFAULT_RATE_LIMIT_PAUSE
        until = self._clock() + min(pause, self.max_pause)
        if until > self.not_before:
            logger.warning("the model provider asked to slow down for %.2f s", pause)
            self.not_before, self._reason = until, error.message
            self.activity.paused(until, error.message)
        if pause > self.max_pause:
            raise RateLimited(
                f"the model server is rate limiting ({error.message}) and asked to wait "
                f"{pause:g} s, longer than a generation waits ({self.max_pause:g} s, "
                "LLM_RATE_LIMIT_MAX_PAUSE_SECONDS): ask again later",
                retryable=False,
                retry_after=pause,
            ) from error

    def _moved(self, by: int) -> None:
        self.in_flight += by
        self.activity.moved(by)
        self.peak_in_flight = max(self.peak_in_flight, self.in_flight)

    async def aclose(self) -> None:
        await self.provider.aclose()
