"""OpenAI-compatible HTTP provider: chat completions with strict structured output.

Works with OpenAI and with local servers that speak the same protocol (vLLM, llama.cpp,
Ollama, LM Studio). The reply is streamed (`stream=True`): each chunk's text goes to the
caller's `draft` callback while the model writes. The HTTP exchange is `chat_transport.py`'s
(aiohttp, sized to the gate's bound, decision 4002), which maps HTTP failures to the port's
errors; retries and the provider-wide 429 slow-down are `gate.ModelGate`'s (the worker builds
this adapter with `max_retries=0`). A reply is used only once the stage's
Pydantic model accepts it. Cancelling the caller closes the HTTP stream.
"""

from __future__ import annotations

import asyncio
import functools
import json
import re
from typing import TYPE_CHECKING, Any, cast

import orjson
from pydantic import ValidationError

from infinite_scribe.agents.llm import prompts
from infinite_scribe.agents.llm.chat_transport import CALLS_PER_CLIENT, ChatTransport
from infinite_scribe.agents.llm.port import (
    DraftCallback,
    GenerationRequest,
    GenerationTimeout,
    InvalidOutput,
    report_messages,
    report_usage,
)
from infinite_scribe.domain.outline_plan import BatchBrief
from infinite_scribe.domain.proposals import (
    OUTLINE_BATCH_SCHEMA,
    OutlineBatch,
    Proposal,
    ProposalSource,
    outline_batch_schema,
    proposal_model,
    response_schema,
    schema_name,
)
from shared_types.enums import GenesisStage

# The openai SDK's message and response-format types only (the HTTP is chat_transport's):
# imported for the type checker, so no process pays the SDK's import (0.3 s) at start.
if TYPE_CHECKING:
    from openai.types.chat import ChatCompletionMessageParam
    from openai.types.shared_params import ResponseFormatJSONSchema


#: Sent when no key is configured: the SDK insists on one, local servers ignore it.
NO_KEY = "not-needed"
# Some local models wrap JSON in a Markdown fence even in JSON mode; strip exactly that.
_FENCE = re.compile(r"^\s*```(?:json)?\s*\n(?P<body>.*)\n\s*```\s*$", re.DOTALL)


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
    ) -> None:
        self.model = model
        self.timeout = timeout
        self._transport = ChatTransport(
            base_url=base_url,
            api_key=api_key or NO_KEY,
            timeout=timeout,
            max_concurrency=max_concurrency,
            max_retries=max_retries,
        )

    async def generate(
        self,
        request: GenerationRequest,
        draft: DraftCallback | None = None,
    ) -> Proposal:
        """Ask the model for `request.stage`'s proposal and validate it (see the module doc)."""
        prompt = prompts.render(request)
        sent = [
            {"role": "system", "content": prompt.system},
            {"role": "user", "content": prompt.user},
        ]
        report_messages(sent)  # what the prompt view shows, as sent (issue 55)
        messages = cast("list[ChatCompletionMessageParam]", sent)
        content = await self._complete(_response_format(request.stage), messages, draft)
        return parse_proposal(request.stage, content, applied_feedback(request))

    async def outline_chapters(
        self,
        request: GenerationRequest,
        brief: BatchBrief,
        draft: DraftCallback | None = None,
    ) -> list[dict[str, Any]]:
        """One batch of a long outline's chapters (decision 5404), held to its schema."""
        prompt = prompts.render_batch(request, brief)
        messages: list[ChatCompletionMessageParam] = [
            {"role": "system", "content": prompt.system},
            {"role": "user", "content": prompt.user},
        ]
        content = await self._complete(_outline_format(), messages, draft)
        return parse_batch(content)

    async def complete_text(
        self, messages: list[ChatCompletionMessageParam], draft: DraftCallback | None = None
    ) -> str:
        """A plain-text reply to `messages`, streamed to `draft` (a chapter's beats and prose,
        agents/chapter_writer.py); the port's errors as for a proposal."""
        return await self._complete(None, messages, draft)

    async def aclose(self) -> None:
        """Close the HTTP connection pools."""
        await self._transport.aclose()

    async def _complete(
        self,
        response_format: ResponseFormatJSONSchema | None,
        messages: list[ChatCompletionMessageParam],
        draft: DraftCallback | None,
    ) -> str:
        """The reply's text, held to `response_format` (None: text)."""
        reply = _Reply()
        try:
            async with asyncio.timeout(self.timeout):  # the whole reply, not each read
                await self._stream(messages, response_format, reply, draft)
        except TimeoutError as error:
            raise GenerationTimeout(f"the model did not answer in {self.timeout} s") from error
        return reply.checked()

    async def _stream(
        self,
        messages: list[ChatCompletionMessageParam],
        response_format: ResponseFormatJSONSchema | None,
        reply: _Reply,
        draft: DraftCallback | None,
    ) -> None:
        # The stream's lines are read here, not as the SDK's typed chunk objects: those were
        # the worker's largest cost at thousands of generations at once (decision 2700).
        body: dict[str, Any] = {
            "model": self.model,
            "messages": messages,
            "stream": True,
            "stream_options": {"include_usage": True},  # the last chunk reports the tokens
        }
        if response_format is not None:
            body["response_format"] = response_format
        async with self._transport.lines(body) as lines:  # closed on cancellation too
            async for line in lines:
                if not line.startswith(b"data:"):
                    continue  # blank separators, comments, `event:` lines
                data = line[5:].strip()
                if data == b"[DONE]":
                    return
                reply.take(_chunk(data), draft)


@functools.cache
def _response_format(stage: GenesisStage) -> ResponseFormatJSONSchema:
    """The stage's strict structured output, built once (the schema is static; it is only
    encoded, never changed)."""
    return {
        "type": "json_schema",
        "json_schema": {
            "name": schema_name(stage),
            "schema": response_schema(stage),
            "strict": True,
        },
    }


@functools.cache
def _outline_format() -> ResponseFormatJSONSchema:
    schema = outline_batch_schema()
    return {
        "type": "json_schema",
        "json_schema": {"name": OUTLINE_BATCH_SCHEMA, "schema": schema, "strict": True},
    }


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


def _count(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


class _Reply:
    """A streamed reply as it arrives."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.refusal: list[str] = []
        self.finish_reason: str | None = None

    def take(self, chunk: dict[str, Any], draft: DraftCallback | None) -> None:
        """One chunk's part of the reply (its first choice), and the text so far to `draft`."""
        usage = chunk.get("usage")
        if isinstance(usage, dict):
            report_usage(_count(usage.get("prompt_tokens")), _count(usage.get("completion_tokens")))
        choices = chunk.get("choices")
        if not choices or not isinstance(choices, list) or not isinstance(choices[0], dict):
            return
        choice = choices[0]
        self.finish_reason = choice.get("finish_reason") or self.finish_reason
        delta = choice.get("delta")
        if not isinstance(delta, dict):
            return
        if delta.get("refusal"):
            self.refusal.append(str(delta["refusal"]))
        content = delta.get("content")
        if content:
            self.parts.append(str(content))
            if draft is not None:
                draft("".join(self.parts))

    def checked(self) -> str:
        """The reply's text, or the port's error for a reply that is not one."""
        content, refusal = "".join(self.parts), "".join(self.refusal)
        if refusal:
            raise InvalidOutput(f"the model refused: {refusal}", retryable=False)
        if self.finish_reason == "content_filter":
            raise InvalidOutput("the reply was withheld by a content filter", retryable=False)
        if self.finish_reason == "length":
            raise InvalidOutput("the reply was cut off at the token limit")
        if not content:
            raise InvalidOutput("the reply has no content")
        return content


def applied_feedback(request: GenerationRequest) -> list[str]:
    """The feedback a revision has taken in: the previous proposal's, and this request's."""
    earlier = (request.previous_proposal or {}).get("feedback_applied")
    said = [text for text in earlier if isinstance(text, str)] if isinstance(earlier, list) else []
    return [text[:1000] for text in [*said, *filter(None, [request.feedback])]][-20:]


def truncated(text: str) -> bool:
    """Whether JSON text ends inside a string or with an object or array still open (one pass,
    no parse): what a reply cut off looks like, whatever the server said about it."""
    depth, in_string, escaped = 0, False, False
    for char in text:
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "{[":
            depth += 1
        elif char in "}]":
            depth -= 1
    return in_string or depth > 0


def _json_object(content: str) -> dict[str, Any]:
    """The JSON object a reply holds (a Markdown fence around it stripped)."""
    fenced = _FENCE.match(content)
    text = fenced.group("body") if fenced else content
    try:
        data: Any = json.loads(text)
    except ValueError as error:
        if truncated(text):
            # The server may say `stop` for a reply its proxy or its own limit cut (issue 55).
            raise InvalidOutput("the reply was cut off: its JSON ends before it closes") from error
        raise InvalidOutput(f"the reply is not JSON: {error}") from error
    if not isinstance(data, dict):
        raise InvalidOutput(f"the reply is JSON {type(data).__name__}, not an object")
    return data


def parse_batch(content: str) -> list[dict[str, Any]]:
    """A batch of outline chapters from a model's reply; InvalidOutput if it is not one."""
    try:
        batch = OutlineBatch.model_validate(_json_object(content))
    except ValidationError as error:
        raise InvalidOutput(f"the reply is not a batch of outline chapters: {error}") from error
    return [chapter.model_dump(mode="json") for chapter in batch.chapters]


def parse_proposal(
    stage: GenesisStage, content: str, feedback_applied: list[str] | None = None
) -> Proposal:
    """Validate a model's reply as `stage`'s proposal; InvalidOutput if it is not one."""
    data = _json_object(content)
    data.pop("source", None)  # the model does not get to claim it was offline (or anything)
    stamped = {"source": ProposalSource.LLM, "feedback_applied": feedback_applied or []}
    try:
        return proposal_model(stage).model_validate(data | stamped)
    except ValidationError as error:
        problems = "; ".join(
            f"{'.'.join(str(part) for part in item['loc']) or '(root)'}: {item['msg']}"
            for item in error.errors()[:5]
        )
        raise InvalidOutput(
            f"the reply is not a valid {stage.value} proposal: {problems}"
        ) from error
