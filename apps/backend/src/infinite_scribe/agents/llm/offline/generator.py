"""The offline generator: deterministic proposals built from the writer's words, no network.

It is the default provider so `make run` walks all five stages with nothing configured, and the
benchmark measures the pipeline rather than a model. It reads the hero, the place, the time,
what happens and the antagonist from the writer's idea, what they confirmed and their feedback
(text/), and writes each stage from them in the writer's language; the same request always
gives the same proposal. What a revision changed is said in its `revision_note`, never in the
writer's text; `source = offline_draft` and the note say it is an offline draft.
"""

import asyncio
import re
import threading
from collections.abc import Callable
from typing import Any, TypeVar

from infinite_scribe.agents.llm.language import CHINESE, writer_language
from infinite_scribe.agents.llm.offline.stages import Drafter
from infinite_scribe.agents.llm.offline.story import Story, feedbacks
from infinite_scribe.agents.llm.offline.words import (
    CHINESE as CHINESE_WORDS,
    ENGLISH,
    Words,
    mood_of,
)
from infinite_scribe.agents.llm.port import DraftCallback, GenerationRequest
from infinite_scribe.domain.outline_plan import Batch, BatchBrief
from infinite_scribe.domain.proposals import Proposal, ProposalSource, proposal_model
from infinite_scribe.domain.revision_note import revision_note
from infinite_scribe.text import segment
from infinite_scribe.text.facts import Facts

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
    drafter = Drafter(Story(request, words))
    return [drafter.outline_entry(n) for n in range(batch.first, batch.first + batch.count)]


def draft(request: GenerationRequest, words: Words) -> Proposal:
    """The proposal, built and validated (synchronous: no I/O once the dictionary is loaded)."""
    story = Story(request, words)
    content = Drafter(story).draft()
    language = CHINESE if story.chinese else "en"
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
        "feedback_applied": [text[:1000] for text in feedbacks(request)[-20:]],
    }
    return proposal_model(request.stage).model_validate(content | meta)


def asked(wished: Facts, words: Words, feedback: str | None) -> list[tuple[str, str]]:
    """(value, sentence) for each change read in a revision's feedback (issue 55): the note
    (domain/revision_note.py) says each made only when the diff of the versions shows it."""
    if feedback is None:
        return []
    changes, said = words.changes, []
    for kind in ("hero", "place", "time", "antagonist"):
        if value := getattr(wished, kind):
            value_a = f"{'an' if value[:1].lower() in 'aeiou' else 'a'} {value}"  # English only
            said.append((value, changes[kind].format(value=value, value_a=value_a)))
    if wished.hero_name:
        said.append((wished.hero_name, changes["name"].format(value=wished.hero_name)))
    said += [(e, changes["elements"].format(value=e)) for e in wished.elements]
    said += [(wish, changes["acts"].format(number=n, value=wish)) for n, wish in wished.acts]
    said += [(s, changes["styles"].format(value=s)) for s in wished.styles]
    if tone := mood_of(words, feedback):
        said.append((tone, changes["tone"].format(value=tone)))
    return said
