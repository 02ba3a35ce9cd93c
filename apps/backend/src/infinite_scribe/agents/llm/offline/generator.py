"""The offline generator: deterministic proposals built from the writer's words, no network.

It is the default provider so `make run` walks all five stages with nothing configured, and the
benchmark measures the pipeline rather than a model. It reads the hero, the place, the time,
what happens and the antagonist from the writer's idea, what they confirmed and their feedback
(agents/llm/offline/reading_*.py), and writes each stage from them in the writer's language.
The same request always gives the same proposal. What a revision changed is said in the
proposal's `revision_note`, never in the writer's text; `source = offline_draft` and the note
say it is an offline draft.
"""

import asyncio
import hashlib
import random
import re
import threading
from collections.abc import Callable
from typing import Any, TypeVar

from infinite_scribe.agents.llm.language import CHINESE, writer_language
from infinite_scribe.agents.llm.offline.revision_note import asked
from infinite_scribe.agents.llm.offline.stages import Drafter
from infinite_scribe.agents.llm.offline.story import Story, feedbacks
from infinite_scribe.agents.llm.offline.words import CHINESE as CHINESE_WORDS, ENGLISH, Words
from infinite_scribe.agents.llm.port import DraftCallback, GenerationRequest
from infinite_scribe.domain.outline_plan import Batch, BatchBrief
from infinite_scribe.domain.proposals import Proposal, ProposalSource, proposal_model
from infinite_scribe.domain.revision_note import revision_note
from infinite_scribe.text import segment

NOTE = ENGLISH.note
_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]")
NOTE_ZH = CHINESE_WORDS.note


class OfflineGenerator:
    """Builds proposals from the request's inputs (`StreamingOffline` serves them as an
    `LLMProvider`)."""

    name = "offline"
    #: What provenance names as the model and its "prompt" (the generator's rules: decision 3300).
    model = "offline-generator"
    prompt_version = "offline-3300"

    async def generate(self, request: GenerationRequest) -> Proposal:
        """A valid proposal for `request.stage`, the same one every time for this request."""
        words = await _words(request)
        # Off the loop too (issue 55): milliseconds once every clause is cut to MAX_CLAUSE, but
        # the loop is the API's and the relay's as well in `scribe up`.
        return await offline_work(draft, request, words)

    async def outline_chapters(
        self, request: GenerationRequest, brief: BatchBrief, draft: DraftCallback | None = None
    ) -> list[dict[str, Any]]:
        """One batch of a long outline's chapters (decision 5404), off the loop (not streamed
        to `draft`: a batch is a part of one draft)."""
        words = await _words(request)
        return await offline_work(batch_chapters, request, words, brief.batch)

    async def aclose(self) -> None:
        """Nothing to release."""


#: Offline drafts computed at once in a process (threads): the machine's cores are the API's too.
_DRAFTS = threading.BoundedSemaphore(2)
T = TypeVar("T")


async def _words(request: GenerationRequest) -> Words:
    """The words of the writer's language (the first Chinese request of a process loads the
    dictionary: seconds, off the loop)."""
    if not segment.loaded() and _HAN.search(repr(request)):
        await asyncio.to_thread(segment.warm)
    return CHINESE_WORDS if writer_language(request) == CHINESE else ENGLISH


async def offline_work(work: Callable[..., T], *args: Any) -> T:
    """`work(*args)` in a worker thread, at most two at once in the process."""
    return await asyncio.to_thread(_bounded, work, *args)


def _bounded(work: Callable[..., T], *args: Any) -> T:
    with _DRAFTS:
        return work(*args)


def batch_chapters(request: GenerationRequest, words: Words, batch: Batch) -> list[dict[str, Any]]:
    """The chapters of `batch`, from the story the request tells (the same every time)."""
    drafter = Drafter(Story(request, words), words, random.Random(_seed(request)))
    return [drafter.outline_entry(n) for n in range(batch.first, batch.first + batch.count)]


def draft(request: GenerationRequest, words: Words) -> Proposal:
    """The proposal, built and validated (synchronous: no I/O once the dictionary is loaded)."""
    story = Story(request, words)
    content = Drafter(story, words, random.Random(_seed(request))).draft()
    applied = feedbacks(request)
    language = CHINESE if words is CHINESE_WORDS else "en"
    wished = asked(story.wished, words, request.feedback)
    note = revision_note(
        request.previous_proposal,
        content,
        language,
        request.feedback,
        wished,
        request.offered_edits,
    )
    meta = {
        "source": ProposalSource.OFFLINE_DRAFT,
        "note": words.note,
        "revision_note": note,
        "feedback_applied": [text[:1000] for text in applied[-20:]],
    }
    return proposal_model(request.stage).model_validate(content | meta)


def _seed(request: GenerationRequest) -> int:
    """What the draft's open choices (a tone, a theme) are drawn by: not the feedback, so a
    revision changes only what it asks for (issue 69)."""
    key = "\x1f".join((str(request.session_id), request.stage.value, request.user_input or ""))
    return int.from_bytes(hashlib.sha256(key.encode()).digest()[:8], "big")
