"""What the agent does with a chapter request (issue 39), as use cases: begin (task RUNNING,
with the novel and its bible), then finish with the chapter's draft or a failure, each finish
one transaction as a Genesis proposal's (application/agent_work.py): the task's lock, the
novel's read, then one write with the ledger row, the `Novel.Chapter.DraftProposed` (or
`DraftFailed`) event and its outbox row, the task and command moves and the chapters
projection."""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from infinite_scribe.application.agent_work import answer_origin
from infinite_scribe.application.chapter_commands import NOVEL_WRITER
from infinite_scribe.application.ports.novels import NOVELS
from infinite_scribe.application.ports.storage import UnitOfWork
from infinite_scribe.application.ports.story import STORY
from infinite_scribe.application.ports.tasks import ASYNC_TASKS, TaskQueries, TaskRecord
from infinite_scribe.application.ports.writes import (
    AlreadyProcessed,
    EventAlreadyStored,
    LedgerRow,
    TaskFinish,
    Write,
)
from infinite_scribe.application.retries import with_retries
from infinite_scribe.domain.chapter_brief import EARLIER_CHAPTERS
from infinite_scribe.domain.chapters import (
    DRAFT_FAILED,
    DRAFT_PROPOSED,
    FEEDBACK_SUBMITTED,
    Decided,
    NovelState,
)
from infinite_scribe.domain.continuity import MAX_FINDINGS_PER_CHAPTER
from infinite_scribe.domain.errors import ConcurrencyConflict
from infinite_scribe.domain.novel import NovelBible
from infinite_scribe.domain.story_memory import Memory, digest
from shared_types import EventEnvelope
from shared_types.enums import TaskStatus


@dataclass(frozen=True)
class ChapterJob:
    """A chapter request the agent has begun: the request, its task, the novel and its bible."""

    request: EventEnvelope
    task: TaskRecord
    state: NovelState
    bible: NovelBible
    #: The novel's story memory (issue 48; None before its first confirmed chapter).
    memory: Memory | None = None
    #: The numbers of the last EARLIER_CHAPTERS confirmed chapters before this one.
    confirmed_before: tuple[int, ...] = ()
    #: This chapter as stored ({"status", "text", "beats"}; None: no text yet).
    stored: Mapping[str, Any] | None = None
    #: The writer's codex (issue 76): every chapter prompt names it first, as fixed.
    codex: Mapping[str, Any] = field(default_factory=dict)

    @property
    def chapter(self) -> int:
        return int(self.request.payload["chapter"])

    @property
    def is_revision(self) -> bool:
        return self.request.event_type == FEEDBACK_SUBMITTED

    @property
    def outline_entry(self) -> tuple[int, str, str]:
        found = [entry for entry in self.state.outline if entry[0] == self.chapter]
        return found[0] if found else (self.chapter, str(self.chapter), "")

    def earlier(self) -> tuple[tuple[int, str, str], ...]:
        """(number, title, summary) of the last EARLIER_CHAPTERS confirmed chapters before
        this one (the memory digest tells the rest)."""
        wanted = set(self.confirmed_before)
        return tuple(entry for entry in self.state.outline if entry[0] in wanted)

    def memory_digest(self, hint: str) -> dict[str, Any]:
        """What the book remembers for this chapter (`hint`: its outline entry and wishes)."""
        return digest(self.memory, self.chapter, hint)

    def previous_text(self) -> str | None:
        """The draft a revision rewrites."""
        text = (self.stored or {}).get("text")
        return str(text) if self.is_revision and text else None


class ChapterWork:
    """The agent's chapter use cases on the unit of work; `consumer` names its ledger."""

    def __init__(
        self, uow: UnitOfWork, consumer: str, source_service: str, tasks: TaskQueries
    ) -> None:
        self.uow = uow
        self.consumer = consumer
        self.source_service = source_service
        self.tasks = tasks

    async def still_wanted(self, job: ChapterJob) -> bool:
        """False once the task was cancelled (CancelGeneration, the chapter confirmed) or
        finished elsewhere."""
        view = await self.tasks.task(job.task.task_id, job.task.user_id)
        return view is not None and view.status in (TaskStatus.PENDING, TaskStatus.RUNNING)

    async def begin(self, request: EventEnvelope) -> ChapterJob | None:
        """Start the request's task; None when there is nothing to do (handled, cancelled,
        unknown task or novel)."""
        async with self.uow.transaction() as tx:
            task = await tx.repository(ASYNC_TASKS).lock_for_event(request.event_id)
            if task is None or task.status not in (TaskStatus.PENDING, TaskStatus.RUNNING):
                return None
            novels = tx.repository(NOVELS)
            state = await novels.load(task.session_id)
            bible = await novels.bible(task.session_id)
            if state is None or bible is None:
                return None
            codex = await novels.codex(task.session_id)
            memory = (await tx.repository(STORY).stored(task.session_id)).memory
            chapter = int(request.payload["chapter"])
            before = await novels.confirmed_before(task.session_id, chapter, EARLIER_CHAPTERS)
            stored = (await novels.chapters(task.session_id, chapter)).get(str(chapter))
            await tx.repository(ASYNC_TASKS).start(task.task_id)
        return ChapterJob(request, task, state, bible, memory, tuple(before), stored, codex)

    async def propose(
        self,
        job: ChapterJob,
        text: str,
        beats: list[str],
        provenance: Mapping[str, Any],
        notes: Sequence[str] = (),
        findings: Sequence[Mapping[str, Any]] = (),
    ) -> bool:
        """Record the chapter's draft and complete task and command; False if it was a
        repeat or the task was cancelled meanwhile (the chapter was confirmed). `findings`:
        where the draft contradicts the story memory (issue 78), shown beside it."""
        payload = {
            "chapter": job.chapter,
            "text": text,
            "beats": beats,
            "revision": job.is_revision,
            "task_id": str(job.task.task_id),
            "command_id": str(job.task.command_id),
            "provider": provenance.get("provider"),
            "provenance": dict(provenance) | {"inputs": [str(job.request.event_id)]},
        }
        if notes:  # what the draft does not write of what the writer asked (issue 55)
            payload["notes"] = [note[:1000] for note in notes[:5]]
        if findings:  # bounded as a chapter check's (domain/continuity)
            payload["findings"] = [dict(f) for f in findings[:MAX_FINDINGS_PER_CHAPTER]]
        result: dict[str, Any] = {"chapter": job.chapter, "beats": len(beats)}
        result |= {"characters": len(text), "notes": payload.get("notes", [])}
        result["findings"] = min(len(findings), MAX_FINDINGS_PER_CHAPTER)
        finish = (TaskStatus.COMPLETED, result, None, f"{DRAFT_PROPOSED}")
        return await self._finish(job, Decided(DRAFT_PROPOSED, payload), finish)

    async def fail(self, job: ChapterJob, error_code: str, error: str, attempts: int) -> bool:
        """Record the failure and fail task and command (the writer may ask again)."""
        payload = {
            "chapter": job.chapter,
            "task_id": str(job.task.task_id),
            "command_id": str(job.task.command_id),
            "error_code": error_code,
            "error": error[:2000],
            "attempts": attempts,
        }
        failure = {"code": error_code, "message": error[:2000]}
        finish = (TaskStatus.FAILED, None, failure, "failed")
        return await self._finish(job, Decided(DRAFT_FAILED, payload), finish)

    async def _finish(
        self,
        job: ChapterJob,
        decided: Decided,
        finish: tuple[TaskStatus, Mapping[str, Any] | None, Mapping[str, Any] | None, str],
    ) -> bool:
        status, result, error, message = finish

        async def attempt(number: int) -> bool:
            async with self.uow.transaction() as tx:
                ledger = Write(ledger=LedgerRow(self.consumer, job.request.event_id))
                task = await tx.repository(ASYNC_TASKS).lock_for_event(job.request.event_id)
                if task is None or task.status not in (TaskStatus.PENDING, TaskStatus.RUNNING):
                    await tx.write(ledger)  # cancelled meanwhile: handled, nothing to record
                    return False
                state = await tx.repository(NOVELS).load(job.task.session_id)
                if state is None:
                    raise ConcurrencyConflict("The novel disappeared")
                done = TaskFinish(task.task_id, status.value, result, error, message)
                origin = answer_origin(job.request, job.task, self.source_service)
                parts = ledger.merged(Write(task_finish=done))
                change = NOVEL_WRITER.change(state, [decided], origin, parts=parts)
                await tx.write(change.write)
            return True

        try:
            return await with_retries(attempt)
        except (AlreadyProcessed, EventAlreadyStored):
            return False  # a redelivery: this consumer (or another) answered the request
