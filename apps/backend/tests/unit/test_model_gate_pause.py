"""The model gate's shared 429 pause is capped (issue 79, Q1) and what the gate's calls do is
what the model's health reads (Q5, Q6). On the loop's fake clock: a pause of an hour would
take an hour of the loop's time, not of the wall's."""

import asyncio
from collections.abc import Awaitable, Callable

import pytest

from infinite_scribe.agents.llm.gate import ModelGate
from infinite_scribe.agents.llm.offline.stream import StreamingOffline
from infinite_scribe.agents.llm.port import GenerationTimeout, RateLimited, progress_to
from infinite_scribe.runtime.model_activity import ModelActivity
from infinite_scribe.runtime.model_health import ModelHealth, ModelStatus

pytestmark = pytest.mark.usefixtures("loop_clock")

CAP = 30.0


def _gate(activity: ModelActivity | None = None) -> ModelGate:
    loop = asyncio.get_running_loop()
    return ModelGate(
        StreamingOffline(0),
        max_concurrency=4,
        max_retries=2,
        max_pause=CAP,
        activity=activity or ModelActivity(loop.time),
        clock=loop.time,
    )


def _rate_limited(seconds: float) -> Callable[[], Awaitable[str]]:
    async def call() -> str:
        raise RateLimited("rate limited: quota", retry_after=seconds)

    return call


async def _answer() -> str:
    return "answer"


async def test_a_hint_over_the_cap_fails_its_call_and_holds_the_others_for_the_cap() -> None:
    loop = asyncio.get_running_loop()
    gate = _gate()
    started = loop.time()
    with pytest.raises(RateLimited) as raised:
        await gate.run(_rate_limited(3600))
    assert loop.time() == started  # at once: not retried, not paused
    assert not raised.value.retryable and raised.value.retry_after == 3600
    assert "3600 s" in raised.value.message and "quota" in raised.value.message
    notes: list[str] = []
    with progress_to(notes.append):
        assert await gate.run(_answer) == "answer"
    assert loop.time() - started == pytest.approx(CAP)  # the cap, not the hour
    assert notes == [
        "waiting 30 s: the model server asked to slow down (rate limited: quota)",
        "asking the model again: the pause is over",
    ]


async def test_a_pause_renewed_again_and_again_holds_a_waiter_for_the_cap_at_most() -> None:
    loop = asyncio.get_running_loop()
    gate = _gate()
    gate._rate_limited(RateLimited("rate limited", retry_after=20))
    started = loop.time()
    waiter = asyncio.create_task(gate.run(_answer))
    for _ in range(10):  # another 429 of 20 s every 10 s
        await asyncio.sleep(10)
        gate._rate_limited(RateLimited("rate limited", retry_after=20))
        if waiter.done():
            break
    assert await waiter == "answer"
    assert loop.time() - started <= CAP + 1e-6


async def test_a_cancelled_waiter_leaves_at_once() -> None:
    loop = asyncio.get_running_loop()
    gate = _gate()
    gate._rate_limited(RateLimited("rate limited", retry_after=25))
    waiter = asyncio.create_task(gate.run(_answer))
    await asyncio.sleep(1)
    cancelled_at = loop.time()
    waiter.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiter
    assert loop.time() == cancelled_at


async def test_health_reads_the_pause_the_failures_and_a_busy_server() -> None:
    loop = asyncio.get_running_loop()
    activity = ModelActivity(loop.time)
    gate = _gate(activity)
    gate._rate_limited(RateLimited("rate limited: slow", retry_after=10))
    health = ModelHealth("http://127.0.0.1:1/v1", model="m", activity=activity)
    paused = health._read(ModelStatus(True, "ok"))
    assert not paused.ok and paused.detail.startswith("paused: the model server asked")
    await asyncio.sleep(10)
    assert health._read(ModelStatus(True, "ok")).detail == "ok (m, the model server)"

    async def hangs() -> str:
        raise GenerationTimeout("the model did not answer in 60 s")

    with pytest.raises(GenerationTimeout):
        await gate.run(hangs)  # its three calls, each a failure
    failing = health._read(ModelStatus(True, "ok"))
    assert not failing.ok
    assert failing.detail.startswith("failing: 3 of the last 3 model calls failed"), failing
    assert "the model did not answer in 60 s" in failing.detail
    assert await gate.run(_answer) == "answer"
    assert health._read(ModelStatus(True, "ok")).ok  # the last call answered

    timed_out = ModelStatus(False, "the model server did not answer within 1.5 s", True)
    assert not health._read(timed_out).ok  # nothing in flight: it does not answer
    activity.moved(+1)
    busy = health._read(timed_out)
    assert busy.ok and busy.detail.startswith("busy: the model server is answering 1 call")
