"""Bounded retries: a race lost every time ends as ConcurrencyConflict (409), not a loop."""

import pytest

from infinite_scribe.application.retries import MAX_ATTEMPTS, with_retries
from infinite_scribe.domain.errors import ConcurrencyConflict


async def test_gives_up_after_max_attempts() -> None:
    attempts: list[int] = []

    async def always_loses(number: int) -> None:
        attempts.append(number)
        raise ConcurrencyConflict("lost")

    with pytest.raises(ConcurrencyConflict):
        await with_retries(always_loses)
    assert attempts == list(range(1, MAX_ATTEMPTS + 1))


async def test_returns_once_an_attempt_wins() -> None:
    async def wins_second(number: int) -> int:
        if number == 1:
            raise ConcurrencyConflict("lost")
        return number

    assert await with_retries(wins_second) == 2
