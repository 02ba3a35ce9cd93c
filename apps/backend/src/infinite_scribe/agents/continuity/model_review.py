"""The continuity check through a model (issue 48): one prompt per chapter, the chapter and
what the book said before of the characters it names; the model's findings come back as JSON
and are kept only where the proof holds (domain/continuity.from_model: the quote is in the
chapter, the evidence is a sentence the memory holds). Used when the worker's provider is an
OpenAI-compatible model; the offline reader's rules otherwise."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

import orjson

from infinite_scribe.agents.llm.gate import ModelGate
from infinite_scribe.agents.llm.openai_provider import OpenAIProvider
from infinite_scribe.agents.llm.port import LLMProvider
from infinite_scribe.agents.llm.prompts import load_template
from infinite_scribe.agents.llm.replies import review_reply

logger = logging.getLogger(__name__)

#: What the model is shown of a chapter (characters; MAX_CHAPTER_TEXT is 60,000).
_MAX_TEXT = 60_000
_MAX_FINDINGS = 20
_LANGUAGES = {"zh": "Chinese", "en": "English"}


def review_messages(language: str, chapter: int, text: str, facts: Any) -> list[dict[str, str]]:
    system = (
        "You check novels for continuity. Answer in JSON only. The novel is written in "
        f"{_LANGUAGES.get(language, 'English')}; quote it exactly as written."
    )
    user = load_template("continuity_check").substitute(
        number=chapter,
        facts=orjson.dumps(facts, option=orjson.OPT_INDENT_2).decode(),
        text=text[:_MAX_TEXT],
    )
    return [{"role": "system", "content": system}, {"role": "user", "content": user.strip()}]


def parse_review(reply: str) -> list[dict[str, Any]]:
    """The findings of a model's reply (a JSON list, or `{"findings": [...]}`); [] when the
    reply is not JSON (a finding without proof is no finding)."""
    text = reply.strip().removeprefix("```json").removeprefix("```").removesuffix("```")
    try:
        found: Any = orjson.loads(text)
    except orjson.JSONDecodeError:
        logger.warning("the model's continuity review is not JSON; no findings taken from it")
        return []
    if isinstance(found, dict):
        found = found.get("findings")
    items = found if isinstance(found, list) else []
    return [item for item in items if isinstance(item, dict)][:_MAX_FINDINGS]


class ModelReviewer:
    """`ChapterReviewer` on an OpenAI-compatible model, under the process's model gate."""

    def __init__(self, provider: OpenAIProvider, gate: ModelGate | None = None) -> None:
        self.provider = provider
        self.gate = gate

    async def __call__(
        self, language: str, chapter: int, text: str, facts: Any
    ) -> list[dict[str, Any]]:
        provider, structured = self.provider, review_reply()

        def render(inputs: Mapping[str, Any]) -> list[dict[str, str]]:
            messages = review_messages(language, chapter, inputs["text"], inputs["facts"])
            return provider.framed(messages, structured)

        # Cut to the window by halving the largest first: the chapter's text, then the facts.
        messages = await provider.fitted_inputs({"text": text, "facts": facts}, render)
        if self.gate is None:
            reply = await provider.complete_json(messages, structured)
        else:
            reply = await self.gate.run(lambda: provider.complete_json(messages, structured))
        return parse_review(reply)


def chapter_reviewer(provider: LLMProvider) -> ModelReviewer | None:
    """The model's reviewer when the worker's provider is an OpenAI-compatible one."""
    gate = provider if isinstance(provider, ModelGate) else None
    inner = gate.provider if gate is not None else provider
    return ModelReviewer(inner, gate) if isinstance(inner, OpenAIProvider) else None
