"""The local engine's prompt cache and its cancel (issue 77), on the real engine: a chapter's
consecutive calls reuse their shared prefix and the reply says how much
(`usage.prompt_tokens_details.cached_tokens`, as a hosted server reports it); a request whose
client goes away while its prompt is still being evaluated is aborted there (llama.cpp's abort
callback), not after the whole prompt, and the next writer is served. Skipped where the engine
is not installed (`make model`)."""

import asyncio
from contextlib import suppress

import pytest

from infinite_scribe.agents.llm.chapter_prompts import prose_messages
from infinite_scribe.agents.llm.openai_provider import OpenAIProvider
from infinite_scribe.agents.llm.port import InvalidOutput, metering
from infinite_scribe.embedded.local_engine import LocalEngine
from tests.support.chapters import brief, genesis_bible
from tests.support.local_engine import engine_provider, local_engine, requires_engine

pytestmark = [requires_engine, pytest.mark.engine, pytest.mark.timeout(1800)]
__all__ = ["local_engine"]

BEATS = ["Mara lights the lamp.", "A ship answers.", "The letter burns.", "Dawn comes."]
ABORTED = "aborted: its client went away"


def _provider(engine: LocalEngine, reply_tokens: int) -> OpenAIProvider:
    return engine_provider(engine, timeout=1200, reply_tokens=reply_tokens)


async def test_a_chapters_next_beat_reuses_the_prompt_before_it(local_engine: LocalEngine) -> None:
    given = brief(await genesis_bible("en"), "en", 2)
    provider = _provider(local_engine, 8)
    try:
        # Replies cut at 8 tokens (InvalidOutput): their usage is counted all the same.
        with metering(), suppress(InvalidOutput):
            await provider.complete_text(prose_messages(given, BEATS, 0))
        with metering() as usage, suppress(InvalidOutput):
            await provider.complete_text(prose_messages(given, BEATS, 1))
    finally:
        await provider.aclose()
    assert usage.tokens_in is not None and usage.tokens_cached is not None
    # All but the beat's own request (a few dozen tokens) came from the call before.
    assert usage.tokens_cached > 0.9 * usage.tokens_in, usage
    assert usage.tokens_evaluated == usage.tokens_in - usage.tokens_cached


async def test_a_cancel_during_the_prompts_evaluation_aborts_it(local_engine: LocalEngine) -> None:
    log = local_engine.log_path
    provider = _provider(local_engine, 64)
    # A prompt far longer than the engine evaluates in the half second before the cancel.
    long = [{"role": "user", "content": "The keeper counts the waves. " * 900 + "Go on."}]
    before = log.read_text(errors="replace").count(ABORTED)
    try:
        writing = asyncio.create_task(provider.complete_text(long))
        await asyncio.sleep(0.5)
        writing.cancel()
        with suppress(asyncio.CancelledError):
            await writing
        for _ in range(600):  # the abort is logged once llama.cpp stops (well within a minute)
            if log.read_text(errors="replace").count(ABORTED) > before:
                break
            await asyncio.sleep(0.1)
        text = log.read_text(errors="replace")
        assert text.count(ABORTED) == before + 1, text[-3000:]
        # The aborted request left no evaluation behind it: the next writer is served.
        reply = await provider.complete_text([{"role": "user", "content": "Say hello."}])
        assert reply.strip()
    finally:
        await provider.aclose()


async def test_a_chapters_prose_holds_no_markup(local_engine: LocalEngine) -> None:
    """Issue 76: a chapter's text is held to prose by the grammar (schema_forms.PROSE_GRAMMAR):
    asked for a Markdown heading and a JSON block, the model cannot write either (the guard
    refused SmolLM2's chapters for them in 8 tries of 8, the engine lane)."""
    asked = (
        "Write a short Markdown page: a '# The Lighthouse' heading, a '## Night' subheading, "
        'then a JSON code block holding {"keeper": "Mara", "lamp": "lit"}.'
    )
    streamed: list[str] = []
    provider = _provider(local_engine, reply_tokens=256)
    try:
        # A reply the token limit cuts is an error of its own (InvalidOutput): its streamed
        # drafts are the text it wrote.
        with suppress(InvalidOutput):
            messages = [{"role": "user", "content": asked}]
            streamed.append(
                await provider.complete_text(messages, lambda text: streamed.append(text()))
            )
    finally:
        await provider.aclose()
    reply = streamed[-1] if streamed else ""
    assert reply.strip()
    assert not set(reply) & set("#{}<>|`"), reply
