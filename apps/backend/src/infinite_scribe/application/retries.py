"""Bounded retries of a whole unit of work that lost an optimistic race."""

import asyncio
import random
from collections.abc import Awaitable, Callable
from typing import TypeVar

from infinite_scribe.application.ports.writes import ATTEMPT, Attempt
from infinite_scribe.domain.errors import ConcurrencyConflict

MAX_ATTEMPTS = 5

T = TypeVar("T")


async def with_retries(attempt: Callable[[int], Awaitable[T]]) -> T:
    """Run `attempt(n)` until it does not lose an optimistic race, at most MAX_ATTEMPTS times
    (one more when the first loss was a write that queued for a batch: group commit's wait
    widened that read's window, decision 7201)."""
    budget = MAX_ATTEMPTS
    number = 1
    while True:
        state = Attempt(retrying=number > 1)
        token = ATTEMPT.set(state)
        try:
            return await attempt(number)
        except ConcurrencyConflict:
            if number == 1 and state.queued:
                budget += 1
            if number >= budget:
                raise
        finally:
            ATTEMPT.reset(token)
        # Jitter so that the losers of one race do not collide again in lockstep.
        await asyncio.sleep(random.uniform(0, 0.002 * number))
        number += 1
