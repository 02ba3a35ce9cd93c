"""Streaming, cancel and an engine that dies, on the real engine (issue 68): a draft arrives
token by token; cancelling it closes the HTTP stream and the engine stops generating (its log
says the client went away, and the next writer's reply comes long before the cancelled one
could have ended); a generation in flight when the engine dies fails with the reason, and the
model gate's retry succeeds once the engine is back. Skipped where the engine is not installed."""

import asyncio
import itertools
import os
import signal
from contextlib import suppress
from pathlib import Path

import pytest

from infinite_scribe.agents.llm.gate import ModelGate
from infinite_scribe.agents.llm.openai_provider import OpenAIProvider
from infinite_scribe.agents.llm.port import DraftText, ProviderUnavailable, metering
from infinite_scribe.embedded.local_engine import LocalEngine
from tests.support.local_engine import (
    engine_provider,
    local_engine,
    requires_engine,
    running_engine,
)

# A generation on a shared 2-core machine takes minutes (bench/ holds the figures).
pytestmark = [requires_engine, pytest.mark.engine, pytest.mark.timeout(1200)]
__all__ = ["local_engine"]

LONG = [
    {"role": "system", "content": "You are a storyteller who never stops early."},
    {
        "role": "user",
        "content": "Tell a very long story, at least 2,000 words, about a lighthouse keeper "
        "named Mara and the ships the sea names to her. Do not summarise; keep telling.",
    },
]
SHORT = [{"role": "user", "content": "Say hello to Mara in one short sentence."}]
#: The cancelled reply's room: at the engine's 30-40 tokens/s it would write for tens of seconds.
REPLY_TOKENS = 1500


def _provider(engine: LocalEngine) -> OpenAIProvider:
    return engine_provider(engine, reply_tokens=REPLY_TOKENS)


class Drafts:
    """The texts a streamed reply reported, and an event once `enough` arrived."""

    def __init__(self, enough: int) -> None:
        self.texts: list[str] = []
        self.enough = enough
        self.arrived = asyncio.Event()

    def __call__(self, text: DraftText) -> None:
        self.texts.append(text())  # a draft's text is built when it is sent (decision 7910)
        if len(self.texts) >= self.enough:
            self.arrived.set()


async def test_a_draft_streams_and_a_cancel_frees_the_engine_for_the_next_writer(
    local_engine: LocalEngine,
) -> None:
    provider = _provider(local_engine)
    log = local_engine.log_path
    try:
        drafts = Drafts(enough=8)
        writing = asyncio.create_task(provider.complete_text(LONG, drafts))
        await asyncio.wait_for(drafts.arrived.wait(), 180)
        # Token by token: each draft is the one before with a little more.
        pairs = itertools.pairwise(drafts.texts)
        assert all(b.startswith(a) and len(b) > len(a) for a, b in pairs)
        before = log.read_text(errors="replace").count("Disconnected")
        writing.cancel()
        with suppress(asyncio.CancelledError):
            await writing
        loop = asyncio.get_running_loop()
        cancelled_at = loop.time()
        nxt = Drafts(enough=1)
        with metering() as usage:
            answer = await asyncio.wait_for(provider.complete_text(SHORT, nxt), 180)
        waited = loop.time() - cancelled_at
    finally:
        await provider.aclose()
    assert answer.strip() and usage.tokens_out
    # The engine saw the client leave (llama-cpp-python logs it when it stops the stream)...
    assert log.read_text(errors="replace").count("Disconnected") > before
    # ...and served the next writer before the cancelled reply could have been written.
    assert usage.tokens_per_second is not None
    cancelled_would_take = (REPLY_TOKENS - len(drafts.texts)) / usage.tokens_per_second
    assert waited < cancelled_would_take / 2, (waited, cancelled_would_take)


async def test_a_generation_the_engine_dies_in_is_failed_with_the_reason_then_retried(
    tmp_path: Path,
) -> None:
    with running_engine(tmp_path) as engine:
        provider = _provider(engine)
        try:
            drafts = Drafts(enough=3)
            writing = asyncio.create_task(provider.complete_text(LONG, drafts))
            await asyncio.wait_for(drafts.arrived.wait(), 180)
            assert engine.pid is not None
            os.kill(engine.pid, signal.SIGKILL)
            with pytest.raises(ProviderUnavailable) as failed:
                await writing
            assert failed.value.retryable and "model server" in failed.value.message
            # The gate retries it (backing off) while the engine comes back on its port.
            gate = ModelGate(provider, max_concurrency=1, max_retries=8)
            retried = asyncio.create_task(gate.run(lambda: provider.complete_text(SHORT)))
            await engine.restart()
            assert (await asyncio.wait_for(retried, 180)).strip()
        finally:
            await provider.aclose()
