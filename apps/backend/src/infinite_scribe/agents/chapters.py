"""The agent's chapter handler (issue 39): a chapter request in (`Novel.Chapter.DraftRequested`
or `...FeedbackSubmitted`), the chapter's draft (or a failure) out.

The writer plans the chapter's beats, then writes each beat as prose; the text so far goes to
the novel's live stream as `draft` events (throttled, `context_id` = the novel), and the whole
text with its beats and provenance becomes `Novel.Chapter.DraftProposed`. A provider failure
is retried with backoff a bounded number of times; then task and command fail, a
`DraftFailed` event tells the novel, and the message goes to the dead-letter topic. The
writer's CancelGeneration on the novel (or confirming the chapter meanwhile) stops the model
call at once (issue 77, agents/cancellation.py): no draft lands.
"""

import asyncio
import functools
import time
from dataclasses import replace
from typing import Any

from infinite_scribe.agents.answering import ModelHandler, Streaming
from infinite_scribe.agents.attempts import Attempted, Retrying
from infinite_scribe.agents.cancellation import unless_cancelled
from infinite_scribe.agents.chapter_writer import ChapterWriter
from infinite_scribe.agents.continuity.draft_check import draft_checker
from infinite_scribe.agents.guarded import held
from infinite_scribe.agents.llm.port import DraftText, InvalidOutput, Usage, after
from infinite_scribe.agents.llm.prompts import prompt_echoes
from infinite_scribe.application.chapter_work import ChapterJob, ChapterWork
from infinite_scribe.domain.chapter_brief import ChapterBrief, novel_language
from infinite_scribe.domain.chapter_commands import MAX_CHAPTER_TEXT
from infinite_scribe.domain.codex import Codex
from infinite_scribe.domain.proposal_guard import Failed, check_chapter

#: The `stage` of a chapter's draft events (their `chapter` says which).
DRAFT_STAGE = "CHAPTER"
#: A draft: its text, beats, open notes and the continuity findings shown beside it.
Draft = tuple[str, list[str], list[str], list[dict[str, Any]]]


class ChapterHandler(ModelHandler[ChapterJob, Draft]):
    """Handles one chapter request; called concurrently for different novels."""

    what = "chapter"

    def __init__(
        self, work: ChapterWork, writer: ChapterWriter, streaming: Streaming, retrying: Retrying
    ) -> None:
        super().__init__(work, streaming, retrying)
        self.work: ChapterWork = work
        self.writer = writer

    async def _call(self, job: ChapterJob, cancelled: asyncio.Event) -> Draft:
        wanted = functools.partial(self.work.still_wanted, job)
        return await unless_cancelled(self._write(job), cancelled, wanted)

    async def _answer(self, job: ChapterJob, done: Attempted[Draft], usage: Usage) -> None:
        text, beats, notes, findings = done.result
        provenance = self._provenance(usage, done.started, done.attempt, len(beats))
        seconds = provenance["latency_ms"] / 1000
        self.metrics.observe_usage(self.writer.model, "CHAPTER", usage, seconds)
        if await self.work.propose(job, text, beats, provenance, notes, findings):
            self.metrics.handled.inc()
        else:  # confirmed meanwhile, or already answered
            self.metrics.skipped.inc()

    async def _write(self, job: ChapterJob) -> Draft:
        """The chapter's draft, held by the guard (agents/guarded.py): a draft it refuses is
        written again once with the failed checks named; one that contradicts the story
        memory (issue 78) too, and is then shown with its findings beside it."""
        brief = chapter_brief(job)
        codex = Codex.from_json(brief.codex) if brief.codex else Codex(language=brief.language)
        book, echoes = book_held(brief), prompt_echoes()
        novel_id = job.task.session_id
        contradictions = draft_checker(novel_id, job.memory, job.bible, job.chapter, brief.language)

        async def produce(failed: tuple[str, ...]) -> tuple[str, list[str], list[str]]:
            return await self._draft(job, replace(brief, failed_checks=failed))

        def check(draft: tuple[str, list[str], list[str]]) -> list[Failed]:
            found = check_chapter(draft[0], draft[1], codex, brief.language, book, echoes)
            return found + contradictions(draft[0])

        (text, beats, notes), noted = await held(produce, check, brief.language)
        return text, beats, notes, [dict(f.finding) for f in noted if f.finding is not None]

    async def _draft(
        self, job: ChapterJob, brief: ChapterBrief
    ) -> tuple[str, list[str], list[str]]:
        """The chapter's beats, then its prose beat by beat, the text so far streamed."""
        throttle = self.streaming.throttle(
            self.streaming.drafts,
            str(job.task.session_id),
            str(job.task.task_id),
            DRAFT_STAGE,
            {"chapter": job.chapter},
        )
        try:
            beats = await self.writer.beats(brief)
            written: list[str] = []
            for index in range(len(beats)):
                before = "\n\n".join(written)
                joiner = "\n\n" if written else ""

                def draft(text: DraftText, before: str = before + joiner) -> None:
                    throttle(after(before, text))

                written.append(await self.writer.prose(brief, beats, index, draft))
            throttle.flush()  # the final text arrives too
        finally:
            throttle.close()
        text = "\n\n".join(part for part in written if part)
        if not text.strip():
            raise InvalidOutput("the model wrote no prose for the chapter")
        # Bounded as a writer's edit is: the draft event stays far under the record limit.
        return text[:MAX_CHAPTER_TEXT], beats, await self.writer.notes(brief)

    def _provenance(self, usage: Usage, started: float, attempt: int, calls: int) -> dict[str, Any]:
        return {
            "provider": self.writer.name,
            "model": self.writer.model,
            "prompt_version": self.writer.prompt_version,
            **usage.provenance(),
            "latency_ms": round((time.monotonic() - started) * 1000, 1),
            "attempts": attempt,
            "calls": calls + 1,
        }


def book_held(brief: ChapterBrief) -> list[str]:
    """What the pipeline already holds of the book, for the guard's book-wide repeat check
    (bounded: the brief's earlier summaries and the memory's open threads; never every
    chapter's text)."""
    held_texts = [summary for _, _, summary in brief.earlier]
    threads = brief.memory.get("threads") or []
    held_texts += [str(t.get("text") or "") for t in threads if isinstance(t, dict)]
    return held_texts


def chapter_brief(job: ChapterJob) -> ChapterBrief:
    """What the writer is given: the chapter's outline entry, the bible, the confirmed chapters
    before it, and the request's wishes or feedback (with the draft it applies to)."""
    number, title, summary = job.outline_entry
    payload = job.request.payload
    hint = " ".join(
        str(x) for x in (title, summary, payload.get("wishes"), payload.get("feedback")) if x
    )
    return ChapterBrief(
        novel_id=job.task.session_id,
        number=number,
        title=title,
        summary=summary,
        language=novel_language(job.bible),
        bible=job.bible,
        earlier=job.earlier(),
        wishes=payload.get("wishes") if not job.is_revision else None,
        feedback=payload.get("feedback") if job.is_revision else None,
        previous_text=job.previous_text(),
        memory=job.memory_digest(hint),
        codex=job.codex,
    )
