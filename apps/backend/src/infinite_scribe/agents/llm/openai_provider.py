"""OpenAI-compatible HTTP provider: chat completions held to each reply's JSON Schema.

Works with OpenAI and with local servers that speak the same protocol (vLLM, llama.cpp,
llama-cpp-python, Ollama, LM Studio): the schema goes in the form the server accepts
(`LLM_SCHEMA_FORM`, agents/llm/schema_forms.py). Every prompt is cut to the model's window
first, with room for the reply (agents/llm/window.py, agents/llm/fitting.py). The reply is
streamed (`stream=True`): each chunk's text goes to the caller's `draft` callback while the
model writes; the engine's token counts come in the last chunk (`include_usage`). The HTTP
exchange is `chat_transport.py`'s (aiohttp, sized to the gate's bound, decision 4002), which
maps HTTP failures to the port's errors; retries and the provider-wide 429 slow-down are
`gate.ModelGate`'s (the worker builds this adapter with `max_retries=0`). A reply is used only
once its Pydantic model accepts it. Cancelling the caller closes the HTTP stream, which stops
the engine's generation.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import Any

import orjson

from infinite_scribe.agents.llm import prompts
from infinite_scribe.agents.llm.chat_transport import CALLS_PER_CLIENT, ChatTransport
from infinite_scribe.agents.llm.codex_schema import with_codex
from infinite_scribe.agents.llm.fitting import Messages, PromptTooLong, fit_brief, shrink_largest
from infinite_scribe.agents.llm.port import (
    DraftCallback,
    GenerationRequest,
    GenerationTimeout,
    InvalidOutput,
    report_messages,
    report_prompt,
    report_usage,
    report_writing,
)
from infinite_scribe.agents.llm.replies import outline_batch_reply, stage_reply
from infinite_scribe.agents.llm.reply_parsing import applied_feedback, parse_batch, parse_proposal
from infinite_scribe.agents.llm.schema_forms import Structured, request_fields, schema_note
from infinite_scribe.agents.llm.streamed_reply import StreamedReply
from infinite_scribe.agents.llm.window import MARGIN, ModelWindow, estimate_messages
from infinite_scribe.domain.chapter_brief import ChapterBrief
from infinite_scribe.domain.outline_plan import BatchBrief
from infinite_scribe.domain.proposals import Proposal

#: Sent when no key is configured: local servers ignore it.
NO_KEY = "not-needed"
#: A prompt whose uncut estimate is over this many characters is fitted off the event loop.
_FIT_ON_LOOP_CHARS = 20_000
#: Rounds of fitting by the estimate, then counting by the engine, before giving up.
_FIT_ROUNDS = 3
#: A cut prompt counted under this share of its budget is refitted to a larger target.
_FILLED = 0.85


class OpenAIProvider:
    """LLMProvider over an OpenAI-compatible `/chat/completions` endpoint."""

    name = "openai"

    @property
    def prompt_version(self) -> str:
        """The prompts' version (a digest of the templates): part of a proposal's provenance."""
        return prompts.prompt_version()

    def __init__(
        self,
        *,
        base_url: str,
        model: str,
        api_key: str = "",
        timeout: float = 60.0,
        max_retries: int = 2,
        max_concurrency: int = CALLS_PER_CLIENT,
        schema_form: str = "openai",
        context_tokens: int = 8192,
        reply_tokens: int = 2048,
    ) -> None:
        self.model = model
        self.timeout = timeout
        self.schema_form = schema_form
        self._transport = ChatTransport(
            base_url=base_url,
            api_key=api_key or NO_KEY,
            timeout=timeout,
            max_concurrency=max_concurrency,
            max_retries=max_retries,
        )
        self.window = ModelWindow(
            self._transport, model, context_tokens=context_tokens, reply_tokens=reply_tokens
        )

    async def generate(
        self,
        request: GenerationRequest,
        draft: DraftCallback | None = None,
    ) -> Proposal:
        """Ask the model for `request.stage`'s proposal and validate it (see the module doc)."""
        # The codex's names in the grammar, where the server takes one (issue 76).
        structured = with_codex(
            stage_reply(request.stage), request.stage, request.codex, request.options_asked
        )

        def render(inputs: Mapping[str, Any]) -> Messages:
            prompt = prompts.render(replace(request, **inputs))
            return self.framed(_pair(prompt.system, prompt.user), structured)

        recorded = {
            "confirmed_data": request.confirmed_data,
            "previous_proposal": request.previous_proposal,
        }
        messages = await self.fitted_inputs(recorded, render)
        report_messages(messages)  # what the prompt view shows, as sent (issue 55)
        content = await self._complete(structured, messages, draft, request.seed)
        return parse_proposal(request.stage, content, applied_feedback(request))

    async def outline_chapters(
        self,
        request: GenerationRequest,
        brief: BatchBrief,
        draft: DraftCallback | None = None,
    ) -> list[dict[str, Any]]:
        """One batch of a long outline's chapters (decision 5404), held to its schema."""
        structured = outline_batch_reply()

        def render(inputs: Mapping[str, Any]) -> Messages:
            cut = replace(brief, acts=inputs["acts"], recent=inputs["recent"])
            asked = replace(request, confirmed_data=inputs["confirmed_data"])
            prompt = prompts.render_batch(asked, cut)
            return self.framed(_pair(prompt.system, prompt.user), structured)

        recorded = {
            "confirmed_data": request.confirmed_data,
            "acts": list(brief.acts),
            "recent": list(brief.recent),
        }
        messages = await self.fitted_inputs(recorded, render)
        return parse_batch(await self._complete(structured, messages, draft, request.seed))

    async def chapter_messages(
        self,
        brief: ChapterBrief,
        render: Callable[[ChapterBrief], Messages],
        structured: Structured | None = None,
    ) -> Messages:
        """`render(brief)` with the brief cut to the window (fitting.fit_brief's rule)."""

        def framed(cut: ChapterBrief) -> Messages:
            return self.framed(render(cut), structured)

        def fit(target: int) -> tuple[Messages, list[str]]:
            cut, _, steps = fit_brief(brief, target, framed, estimate_messages)
            return framed(cut), steps

        return await self._fitted(framed(brief), fit)

    async def complete_json(self, messages: Messages, structured: Structured) -> str:
        """A JSON reply to `messages` (already `framed`) held to `structured`'s schema."""
        return await self._complete(structured, messages, None)

    async def complete_text(self, messages: Messages, draft: DraftCallback | None = None) -> str:
        """A plain-text reply to `messages`, streamed to `draft` (a chapter's prose,
        agents/chapter_writer.py); the port's errors as for a proposal."""
        return await self._complete(None, messages, draft)

    def framed(self, messages: Messages, structured: Structured | None) -> Messages:
        """`messages` with the reply's schema in the system message when the request cannot
        carry it (LLM_SCHEMA_FORM `json_object` or `none`)."""
        note = schema_note(self.schema_form, structured)
        if note is None or not messages:
            return messages
        first = messages[0]
        if first.get("role") != "system":
            return [{"role": "system", "content": note}, *messages]
        return [{**first, "content": f"{first['content']}\n\n{note}"}, *messages[1:]]

    async def aclose(self) -> None:
        """Close the HTTP connection pools."""
        await self._transport.aclose()

    async def fitted_inputs(
        self, inputs: Mapping[str, Any], render: Callable[[Mapping[str, Any]], Messages]
    ) -> Messages:
        """`render(inputs)` with the largest inputs halved until it fits the window."""

        def fit(target: int) -> tuple[Messages, list[str]]:
            cut, _, shrunk = shrink_largest(inputs, target, render, estimate_messages)
            return render(cut), [name for name in inputs if shrunk and cut[name] != inputs[name]]

        return await self._fitted(render(inputs), fit)

    async def _fitted(
        self, uncut: Messages, fit: Callable[[int], tuple[Messages, list[str]]]
    ) -> Messages:
        """The messages `fit(target)` makes for the window: fitted by the safe estimate, then
        counted by the engine's tokenizer; a count over the budget refits to a smaller target,
        a cut prompt far under it (the estimate is on the safe side) to a larger one."""
        budget = await self.window.budget()
        target, best = budget, None
        big = sum(len(message.get("content", "")) for message in uncut) > _FIT_ON_LOOP_CHARS
        uncut_size = (
            await asyncio.to_thread(estimate_messages, uncut) if big else estimate_messages(uncut)
        )
        for _ in range(_FIT_ROUNDS):
            if uncut_size <= target:
                # What `fit` would make: nothing to cut (issue 80: every generation rendered
                # its prompt three times, the model's reply not yet asked).
                messages, cuts = uncut, list[str]()
            else:
                messages, cuts = await asyncio.to_thread(fit, target) if big else fit(target)
            counted = await self.window.count(messages)
            if counted <= budget:
                best = (messages, counted, cuts)
                if not cuts or counted >= budget * _FILLED:
                    break
            elif best is not None:
                break
            target = max(1, target * budget // counted - MARGIN)
        if best is None:
            raise PromptTooLong(f"the prompt is {counted} tokens; the window leaves {budget}")
        report_prompt(best[1], best[2])
        return best[0]

    async def _complete(
        self,
        structured: Structured | None,
        messages: Messages,
        draft: DraftCallback | None,
        seed: int | None = None,
    ) -> str:
        """The reply's text, held to `structured`'s schema (None: text), sampled by `seed`
        (None: the server's choice)."""
        tokens = await self.window.reply_tokens()
        reply = StreamedReply(tokens)
        body: dict[str, Any] = {
            "model": self.model,
            "messages": messages,
            "stream": True,
            "stream_options": {"include_usage": True},  # the last chunk reports the tokens
            "max_tokens": tokens,
            **request_fields(self.schema_form, structured),
            **({} if seed is None else {"seed": seed}),
        }
        try:
            async with asyncio.timeout(self.timeout):  # the whole reply, not each read
                await self._stream(body, reply, draft)
        except TimeoutError as error:
            raise GenerationTimeout(f"the model did not answer in {self.timeout:g} s") from error
        finally:
            report_writing(reply.writing_seconds())
        content = reply.checked()
        if not reply.usage_seen:  # llama-cpp-python streams no usage: its tokenizer counts
            report_usage(
                await self.window.exact(messages),
                await self.window.exact([{"content": content}]) if content else 0,
            )
        return content

    async def _stream(
        self, body: dict[str, Any], reply: StreamedReply, draft: DraftCallback | None
    ) -> None:
        # The stream's lines are read here, not as the SDK's typed chunk objects: those were
        # the worker's largest cost at thousands of generations at once (decision 2700).
        async with self._transport.lines(body) as lines:  # closed on cancellation too
            async for line in lines:
                reply.received(len(line))  # bounded before it is parsed
                if not line.startswith(b"data:"):
                    continue  # blank separators, comments, `event:` lines
                data = line[5:].strip()
                if data == b"[DONE]":
                    return
                reply.take(_chunk(data), draft)


def _pair(system: str, user: str) -> Messages:
    return [{"role": "system", "content": system}, {"role": "user", "content": user}]


def _chunk(data: str | bytes) -> dict[str, Any]:
    """One streamed chunk (`data:` of a server-sent event), as the protocol defines it."""
    try:
        chunk = orjson.loads(data)
    except orjson.JSONDecodeError as error:
        raise InvalidOutput(f"unexpected reply from the model server: {error}") from error
    if not isinstance(chunk, dict):
        raise InvalidOutput("unexpected reply from the model server: a chunk is not an object")
    if chunk.get("error"):
        raise InvalidOutput(f"the model server sent an error: {chunk['error']}")
    return chunk
