"""The model's window (issue 68): how many tokens it holds, how many a prompt is, and how many
are kept for the reply.

The context length is learned once from the server's model list when it reports one (vLLM's
`max_model_len`, llama.cpp's `meta.n_ctx_train`, `context_length` elsewhere), capped by
`LLM_CONTEXT_TOKENS` (the setting alone when the server says nothing: OpenAI, llama-cpp-python).
Tokens are counted by the engine's tokenizer when it has one (llama-cpp-python's
`/extras/tokenize/count`, llama.cpp's `/tokenize`), else estimated on the safe side
(`estimate_tokens`: more tokens than the common tokenizers make of the same text).
"""

import asyncio
import logging
import math
from collections.abc import Mapping, Sequence
from typing import Any

from infinite_scribe.agents.llm.chat_transport import ChatTransport
from infinite_scribe.domain.language import HAN

logger = logging.getLogger(__name__)

#: Characters per token of text that is not Chinese, on the safe side (English is about 4).
SAFE_CHARACTERS_PER_TOKEN = 3
#: Tokens per Chinese character, on the safe side (1 to 1.5 with the common tokenizers).
SAFE_TOKENS_PER_HAN = 2
#: What a chat template adds per message (role markers, separators).
MESSAGE_OVERHEAD = 8
#: Tokens kept free beside the prompt and the reply (the template's head, rounding).
MARGIN = 32
_CONTEXT_KEYS = ("max_model_len", "context_length", "context_window", "n_ctx", "n_ctx_train")


def estimate_tokens(text: str) -> int:
    """At least as many tokens as `text` makes with the common tokenizers."""
    han = len(HAN.findall(text))
    return han * SAFE_TOKENS_PER_HAN + math.ceil((len(text) - han) / SAFE_CHARACTERS_PER_TOKEN)


def estimate_messages(messages: Sequence[Mapping[str, Any]]) -> int:
    """The safe estimate of a list of chat messages."""
    text = sum(estimate_tokens(str(message.get("content", ""))) for message in messages)
    return text + MESSAGE_OVERHEAD * len(messages)


def reported_context(listing: Any, model: str) -> int | None:
    """The context length a `GET /models` answer reports for `model` (or its only model)."""
    data = listing.get("data") if isinstance(listing, Mapping) else None
    if not isinstance(data, list):
        return None
    entries = [entry for entry in data if isinstance(entry, Mapping)]
    mine = [entry for entry in entries if entry.get("id") == model] or entries[:1]
    for entry in mine:
        for source in (entry, entry.get("meta"), entry.get("metadata")):
            if not isinstance(source, Mapping):
                continue
            for key in _CONTEXT_KEYS:
                value = source.get(key)
                if isinstance(value, int) and not isinstance(value, bool) and value > 0:
                    return value
    return None


class ModelWindow:
    """One provider's window: its context length (learned once) and its token counter."""

    def __init__(
        self, transport: ChatTransport, model: str, *, context_tokens: int, reply_tokens: int
    ) -> None:
        self.transport = transport
        self.model = model
        self.configured = context_tokens
        self.configured_reply = reply_tokens
        self._learned: int | None = None
        self._lock = asyncio.Lock()
        #: The tokenizer endpoint that answered (None: not tried yet; "": the estimate).
        self.tokenizer: str | None = None

    async def context_tokens(self) -> int:
        """The window in tokens: the server's figure capped by the setting, or the setting."""
        async with self._lock:
            if self._learned is None:
                listing = await self.transport.json_call(self.transport.root + "/v1/models")
                reported = reported_context(listing, self.model)
                self._learned = min(reported, self.configured) if reported else self.configured
                logger.info(
                    "model %s: a window of %d tokens (the server reports %s, the setting %d)",
                    self.model, self._learned, reported, self.configured,
                )  # fmt: skip
            return self._learned

    async def reply_tokens(self) -> int:
        """Tokens kept for the reply (`max_tokens`): the setting, at most half the window."""
        return min(self.configured_reply, await self.context_tokens() // 2)

    async def budget(self) -> int:
        """The tokens a prompt may have."""
        return await self.context_tokens() - await self.reply_tokens() - MARGIN

    async def count(self, messages: Sequence[Mapping[str, Any]]) -> int:
        """The prompt's tokens: the engine's count when it has a tokenizer, else the safe
        estimate (both with the template's overhead per message)."""
        counted = await self.exact(messages)
        return estimate_messages(messages) if counted is None else counted

    async def exact(self, messages: Sequence[Mapping[str, Any]]) -> int | None:
        """The engine tokenizer's count of `messages` (None: the server has no tokenizer)."""
        text = "\n".join(str(message.get("content", "")) for message in messages)
        counted = await self._tokenized(text)
        return None if counted is None else counted + MESSAGE_OVERHEAD * len(messages)

    async def _tokenized(self, text: str) -> int | None:
        root = self.transport.root
        candidates = {
            "/extras/tokenize/count": {"input": text, "model": self.model},
            "/tokenize": {"content": text},
        }
        order = [self.tokenizer] if self.tokenizer is not None else list(candidates)
        for path in filter(None, order):
            answer = await self.transport.json_call(root + path, candidates[path])
            count = _count(answer)
            if count is not None:
                self.tokenizer = path
                return count
        if self.tokenizer is None:
            logger.info("the model server has no tokenizer endpoint: tokens are estimated")
            self.tokenizer = ""
        return None


def _count(answer: Any) -> int | None:
    if not isinstance(answer, Mapping):
        return None
    if isinstance(answer.get("count"), int):
        return int(answer["count"])
    tokens = answer.get("tokens")
    return len(tokens) if isinstance(tokens, list) else None
