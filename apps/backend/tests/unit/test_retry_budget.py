"""with_retries (application/retries.py, decision 7201): a retry is marked for the write
adapter, and a first loss whose write queued for a batch earns one attempt more."""

import pytest

from infinite_scribe.application.ports.writes import ATTEMPT
from infinite_scribe.application.retries import MAX_ATTEMPTS, with_retries
from infinite_scribe.domain.errors import ConcurrencyConflict


async def _losing(queued_first: bool, seen: list[tuple[int, bool]]) -> None:
    async def attempt(number: int) -> None:
        state = ATTEMPT.get()
        assert state is not None
        seen.append((number, state.retrying))
        state.queued = queued_first and number == 1
        raise ConcurrencyConflict("lost")

    await with_retries(attempt)


async def test_a_retry_is_marked_and_a_queued_first_loss_earns_one_more() -> None:
    plain: list[tuple[int, bool]] = []
    with pytest.raises(ConcurrencyConflict):
        await _losing(False, plain)
    assert plain == [(n, n > 1) for n in range(1, MAX_ATTEMPTS + 1)]
    queued: list[tuple[int, bool]] = []
    with pytest.raises(ConcurrencyConflict):
        await _losing(True, queued)
    assert len(queued) == MAX_ATTEMPTS + 1
    assert ATTEMPT.get() is None  # nothing leaks out of the loop


async def test_a_win_returns_at_once() -> None:
    async def attempt(number: int) -> int:
        if number < 3:
            raise ConcurrencyConflict("lost")
        return number

    assert await with_retries(attempt) == 3
