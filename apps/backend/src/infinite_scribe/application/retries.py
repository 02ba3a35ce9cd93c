"""Bounded retries of a whole unit of work that lost an optimistic race."""

import asyncio
import random
from collections.abc import Awaitable, Callable
from typing import TypeVar

from infinite_scribe.domain.errors import ConcurrencyConflict

MAX_ATTEMPTS = 5

T = TypeVar("T")


async def with_retries(attempt: Callable[[int], Awaitable[T]]) -> T:
    """Run `attempt(n)` until it does not lose an optimistic race, at most MAX_ATTEMPTS times."""
    for number in range(1, MAX_ATTEMPTS + 1):
        try:
            return await attempt(number)
        except ConcurrencyConflict:
            if number == MAX_ATTEMPTS:
                raise
            # Jitter so that the losers of one race do not collide again in lockstep.
            await asyncio.sleep(random.uniform(0, 0.002 * number))
    raise AssertionError("unreachable")
