"""A streamed chat reply as it arrives (openai_provider.py reads the stream into it): bounded
in bytes by the tokens asked for, its usage reported, its end checked."""

from __future__ import annotations

import time
from typing import Any

from infinite_scribe.agents.llm.port import (
    DraftCallback,
    InvalidOutput,
    ProviderUnavailable,
    report_usage,
)


def _count(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


#: The most UTF-8 bytes of text one reply token may average (tokens are a few bytes; 32 is far
#: over any real reply): a reply past `max_tokens` of them was not held to its limit.
BYTES_PER_TOKEN = 32
#: What the stream's lines may hold beyond the text (each chunk's JSON frame, usage, comments).
FRAMING_FACTOR, FRAMING_BYTES = 16, 1 << 16


class StreamedReply:
    """A streamed reply as it arrives, bounded in bytes by the reply tokens asked for (issue
    79: a server that ignores `max_tokens` streamed 10 MB): its text and its stream's lines
    past the bound fail it as invalid output, and no work per chunk grows with the reply (the
    text is joined only when a draft is sent, or at the end)."""

    def __init__(self, reply_tokens: int) -> None:
        self.max_bytes = reply_tokens * BYTES_PER_TOKEN
        self.max_stream_bytes = self.max_bytes * FRAMING_FACTOR + FRAMING_BYTES
        self.size = self.stream_size = 0
        self.parts: list[str] = []
        self.refusal: list[str] = []
        self.finish_reason: str | None = None
        self.first: float | None = None
        self.last: float | None = None
        self.usage_seen = False

    def writing_seconds(self) -> float:
        """From the first piece of text to the last (0 before any)."""
        return 0.0 if self.first is None or self.last is None else self.last - self.first

    def received(self, line_bytes: int) -> None:
        """One more line of the stream, within the bound or InvalidOutput."""
        self.stream_size += line_bytes
        if self.stream_size > self.max_stream_bytes:
            raise InvalidOutput(
                f"the model server's reply passed {self.max_stream_bytes} bytes (its text and "
                "frames): it did not keep to the reply's token limit"
            )

    def _grew(self, text: str) -> None:
        self.size += len(text.encode())
        if self.size > self.max_bytes:
            raise InvalidOutput(
                f"the reply passed {self.max_bytes} bytes, more than the "
                f"{self.max_bytes // BYTES_PER_TOKEN} tokens asked for can be: the model server "
                "did not keep to the reply's token limit"
            )

    def text(self) -> str:
        """The text so far, joined now (kept joined: the next join starts from it)."""
        if len(self.parts) > 1:
            self.parts[:] = ["".join(self.parts)]
        return self.parts[0] if self.parts else ""

    def take(self, chunk: dict[str, Any], draft: DraftCallback | None) -> None:
        """One chunk's part of the reply (its first choice), and the text so far to `draft`."""
        usage = chunk.get("usage")
        if isinstance(usage, dict):
            self.usage_seen = True
            details = usage.get("prompt_tokens_details")
            cached = _count(details.get("cached_tokens")) if isinstance(details, dict) else None
            tokens_in, tokens_out = usage.get("prompt_tokens"), usage.get("completion_tokens")
            report_usage(_count(tokens_in), _count(tokens_out), cached)
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
            self._grew(self.refusal[-1])
        content = delta.get("content")
        if content:
            self.last = time.monotonic()
            self.first = self.first if self.first is not None else self.last
            self.parts.append(str(content))
            self._grew(self.parts[-1])
            if draft is not None:
                draft(self.text)  # joined only if and when the throttle sends it

    def checked(self) -> str:
        """The reply's text, or the port's error for a reply that is not one."""
        content, refusal = self.text(), "".join(self.refusal)
        if refusal:
            raise InvalidOutput(f"the model refused: {refusal}", retryable=False)
        if self.finish_reason == "content_filter":
            raise InvalidOutput("the reply was withheld by a content filter", retryable=False)
        if self.finish_reason == "length":
            raise InvalidOutput("the reply was cut off at the token limit")
        if not content:
            raise InvalidOutput("the reply has no content")
        if self.finish_reason is None:
            # llama-cpp-python ends a stream with `[DONE]` and no reason when another request
            # interrupts it (its `interrupt_requests`): a reply cut short, to be asked again.
            raise ProviderUnavailable(
                "the model server ended the reply before its end (no finish reason): another "
                "request may have interrupted it"
            )
        return content
