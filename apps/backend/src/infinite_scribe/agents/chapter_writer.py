"""Who writes a chapter (issue 39): beats first, then prose per beat. Offline (the default,
`agents/llm/offline/chapters.py`, paced like a model so drafts stream) or through the
OpenAI-compatible provider (`agents/llm/chapter_prompts.py`'s messages, plain-text replies).
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable, Callable
from typing import Any, Protocol, TypeVar

import orjson

from infinite_scribe.agents.llm.chapter_prompts import beats_messages, prose_messages
from infinite_scribe.agents.llm.gate import ModelGate
from infinite_scribe.agents.llm.offline.chapters import open_notes, plan_beats, write_beat
from infinite_scribe.agents.llm.offline.generator import offline_work
from infinite_scribe.agents.llm.openai_provider import OpenAIProvider
from infinite_scribe.agents.llm.port import DraftCallback, InvalidOutput, LLMProvider, prefix_of
from infinite_scribe.agents.llm.replies import MAX_BEATS, beats_reply
from infinite_scribe.domain.chapter_brief import ChapterBrief

#: Pieces an offline beat is streamed in.
_PIECES = 8
T = TypeVar("T")
_LIST_MARK = re.compile(r"^\s*(?:[-*•]|\d+[.)、])\s*")


class ChapterWriter(Protocol):
    """Plans a chapter's beats and writes one beat's prose (streamed to `draft`)."""

    name: str
    model: str | None
    prompt_version: str | None

    async def beats(self, brief: ChapterBrief) -> list[str]: ...

    async def prose(
        self, brief: ChapterBrief, beats: list[str], index: int, draft: DraftCallback
    ) -> str: ...

    async def notes(self, brief: ChapterBrief) -> list[str]:
        """What the writer asked for that the draft does not write (its open notes)."""
        ...


class OfflineChapterWriter:
    """Deterministic prose per beat, handed to `draft` in pieces over `seconds` per chapter."""

    name = "offline"
    model: str | None = "offline-chapters"
    prompt_version: str | None = None

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds

    # Reading the writer's words and writing prose is CPU work: off the loop, under the
    # offline generator's bound (issue 55).
    async def beats(self, brief: ChapterBrief) -> list[str]:
        return await offline_work(plan_beats, brief)

    async def notes(self, brief: ChapterBrief) -> list[str]:
        return await offline_work(open_notes, brief)

    async def prose(
        self, brief: ChapterBrief, beats: list[str], index: int, draft: DraftCallback
    ) -> str:
        text = await offline_work(write_beat, brief, beats, index)
        size = max(-(-len(text) // _PIECES), 1)
        pause = self.seconds / max(len(beats), 1) / _PIECES
        for end in range(size, len(text) + size, size):
            draft(prefix_of(text, end))
            if pause > 0:
                await asyncio.sleep(pause)
        return text


class ModelChapterWriter:
    """Beats, then prose per beat, from an OpenAI-compatible model; every call under the
    process's model gate (LLM_MAX_CONCURRENCY, the shared 429 pause, retries)."""

    name = "openai"

    def __init__(self, provider: OpenAIProvider, gate: ModelGate | None = None) -> None:
        self.provider = provider
        self.gate = gate
        self.model: str | None = provider.model
        self.prompt_version: str | None = provider.prompt_version

    async def beats(self, brief: ChapterBrief) -> list[str]:
        """The beat sheet, held to its schema (agents/llm/replies.BeatSheet)."""
        structured = beats_reply()
        messages = await self.provider.chapter_messages(brief, beats_messages, structured)

        async def planned() -> list[str]:  # parsed inside the gate: a broken sheet is retried
            return parse_beats(await self.provider.complete_json(messages, structured))

        return await self._call(planned)

    async def notes(self, brief: ChapterBrief) -> list[str]:
        """None: the model reads the writer's wishes itself (its prompt carries them)."""
        return []

    async def prose(
        self, brief: ChapterBrief, beats: list[str], index: int, draft: DraftCallback
    ) -> str:
        def render(cut: ChapterBrief) -> list[dict[str, str]]:
            return prose_messages(cut, beats, index)

        messages = await self.provider.chapter_messages(brief, render)
        reply = await self._call(lambda: self.provider.complete_text(messages, draft))
        return reply.strip()

    async def _call(self, call: Callable[[], Awaitable[T]]) -> T:
        return await (call() if self.gate is None else self.gate.run(call))


def parse_beats(reply: str) -> list[str]:
    """The beats of a model's reply: a JSON list of sentences (or `{"beats": [...]}`), else
    one beat per non-blank line (list marks dropped); InvalidOutput when there is none."""
    text = reply.strip().removeprefix("```json").removeprefix("```").removesuffix("```")
    found: Any = None
    try:
        found = orjson.loads(text)
    except orjson.JSONDecodeError:
        if text.lstrip().startswith(("{", "[")):  # JSON cut off or broken: asked again
            raise InvalidOutput("the beats were not valid JSON") from None
        found = [_LIST_MARK.sub("", line) for line in text.splitlines()]
    if isinstance(found, dict):
        found = found.get("beats")
    beats = [" ".join(str(b).split()) for b in found or [] if isinstance(b, str | int | float)]
    beats = [beat[:1000] for beat in beats if beat]
    if not beats:
        raise InvalidOutput("the model planned no beats")
    return beats[:MAX_BEATS]


def chapter_writer(provider: LLMProvider, offline_seconds: float) -> ChapterWriter:
    """The chapter writer of the worker's provider: the model's when it is an OpenAI one."""
    gate = provider if isinstance(provider, ModelGate) else None
    inner = gate.provider if gate is not None else provider
    if isinstance(inner, OpenAIProvider):
        return ModelChapterWriter(inner, gate)
    return OfflineChapterWriter(offline_seconds)
