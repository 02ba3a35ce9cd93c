"""The agent's one retry rule (agents/attempts.py): retryable failures are tried again with
backoff up to the bound, anything else gives up at once, other exceptions pass through."""

import pytest

from infinite_scribe.agents.attempts import GaveUp, attempted
from infinite_scribe.agents.llm.port import GenerationError, GenerationTimeout
from infinite_scribe.agents.metrics import AgentMetrics


def failing(*errors: Exception, answer: str = "done"):
    """A call that raises `errors` in turn, then answers; it records each call."""
    calls: list[int] = []

    async def call() -> str:
        calls.append(len(calls) + 1)
        if len(calls) <= len(errors):
            raise errors[len(calls) - 1]
        return answer

    return call, calls


async def test_a_retryable_failure_is_tried_again_and_the_answering_attempt_is_reported() -> None:
    metrics = AgentMetrics()
    call, calls = failing(GenerationTimeout("slow"), GenerationTimeout("slow"))
    done = await attempted(call, attempts=3, backoff_seconds=0, metrics=metrics, what="test")
    assert (done.result, done.attempt, calls) == ("done", 3, [1, 2, 3])
    assert metrics.retries._value.get() == 2


async def test_the_last_retryable_failure_gives_up_with_the_attempts_made() -> None:
    call, calls = failing(*(GenerationTimeout("slow") for _ in range(3)))
    with pytest.raises(GaveUp) as gave_up:
        await attempted(call, attempts=3, backoff_seconds=0, metrics=AgentMetrics(), what="t")
    assert (gave_up.value.attempts, calls) == (3, [1, 2, 3])
    assert isinstance(gave_up.value.error, GenerationTimeout)


async def test_a_failure_that_is_not_retryable_gives_up_at_once() -> None:
    call, calls = failing(GenerationError("refused", retryable=False))
    with pytest.raises(GaveUp) as gave_up:
        await attempted(call, attempts=5, backoff_seconds=0, metrics=AgentMetrics(), what="t")
    assert (gave_up.value.attempts, calls) == (1, [1])


async def test_other_exceptions_pass_through_untouched() -> None:
    call, calls = failing(LookupError("cancelled"))
    with pytest.raises(LookupError):
        await attempted(call, attempts=5, backoff_seconds=0, metrics=AgentMetrics(), what="t")
    assert calls == [1]


async def test_at_least_one_attempt() -> None:
    call, _ = failing()
    with pytest.raises(ValueError):
        await attempted(call, attempts=0, backoff_seconds=0, metrics=AgentMetrics(), what="t")
