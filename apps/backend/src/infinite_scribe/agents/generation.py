"""The agent's message handler: a generation request in, a proposal (or a failure) out.

Other event types are dropped by their `ce_type` header before the value is even parsed. Many
requests run at once (the consumer keeps one session's requests in order). While the model
writes, drafts go to the writer's stream (throttled); a cancelling event of the session stops
the model call at once. A provider failure is retried with backoff a bounded number of times;
then the task and command fail, a `...Failed` event tells the session, and the message is
copied to the dead-letter topic.
"""

import asyncio
import dataclasses
import logging
import time
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from infinite_scribe.agents.answering import ModelHandler, Streaming
from infinite_scribe.agents.attempts import Attempted, Retrying
from infinite_scribe.agents.cancellation import unless_cancelled
from infinite_scribe.agents.drafts import DraftSink
from infinite_scribe.agents.guarded import asked_of, held
from infinite_scribe.agents.llm.gate import ModelGate
from infinite_scribe.agents.llm.language import writer_language
from infinite_scribe.agents.llm.port import (
    DraftCallback,
    GenerationRequest,
    LLMProvider,
    Usage,
)
from infinite_scribe.agents.llm.prompts import prompt_echoes
from infinite_scribe.agents.metrics import AgentMetrics
from infinite_scribe.agents.outline_batches import OutlineParts, batched_outline, outline_size
from infinite_scribe.agents.proposal_inputs import (
    provider_for,
    request_from,
    request_record,
    request_seed,
)
from infinite_scribe.application.agent_work import AgentWork, Job
from infinite_scribe.domain.codex import Codex
from infinite_scribe.domain.proposal_guard import Failed, check_stage
from infinite_scribe.domain.proposals import Proposal, ProposalSource
from infinite_scribe.domain.renaming import renamed_everywhere
from infinite_scribe.domain.revision_note import revision_note
from infinite_scribe.text.codex_reading import (
    feedback_people,
    offered_edits,
    read_codex,
)
from shared_types import EventEnvelope

logger = logging.getLogger(__name__)


#: What one attempt returns: the proposal, and the outline's kept parts it was written from.
Proposed = tuple[Proposal, OutlineParts | None]


class GenerationHandler(ModelHandler[Job, Proposed]):
    """Handles one delivery; called concurrently for different sessions."""

    what = "generation"

    def __init__(
        self,
        work: AgentWork,
        provider: LLMProvider,
        streaming: Streaming,
        retrying: Retrying,
        *,
        models: Mapping[str, LLMProvider] | None = None,
    ) -> None:
        super().__init__(work, streaming, retrying)
        self.work: AgentWork = work
        self.provider = provider
        #: The providers a regeneration may name (issue 55), by the names the API accepts.
        self.models = models or {provider.name: provider}

    async def _begin(self, request: EventEnvelope) -> Job | None:
        job = await self.work.begin(request)
        return None if job is None else await with_codex(job)

    async def _call(self, job: Job, cancelled: asyncio.Event) -> Proposed:
        parts = self._outline_parts(job)  # a long outline's kept parts (None: one call)
        return await self._call_model(job, cancelled, parts), parts

    async def _answer(self, job: Job, done: Attempted[Proposed], usage: Usage) -> None:
        proposal, parts = done.result
        provider = provider_for(self.provider, self.models, job.model)
        seconds = time.monotonic() - done.started
        reported = _reported(provider, usage, seconds, done.attempt)
        self.metrics.observe_usage(reported["model"], job.stage.value, usage, seconds)
        # One statement: the proposal, task and command, and the flow's pause (issue 40).
        proposal_data = proposal.model_dump(mode="json")
        request = generation_request(job)
        # An outline in batches sent many prompts: the request alone is kept (its parts hold them).
        recorded = (request_record(request), None if parts is not None else usage.messages)
        if await self.work.propose(job, proposal_data, provider.name, reported, recorded):
            if parts is not None:
                await parts.forget()  # written: its parts are in the proposal now
            self.metrics.handled.inc()
            logger.info("task %s answered (%s)", job.task.task_id, provider.name)
        else:  # cancelled meanwhile (confirm, abandon) or already answered: nothing sent
            self.metrics.skipped.inc()

    async def _proposal(
        self, job: Job, draft: DraftCallback, parts: OutlineParts | None
    ) -> Proposal:
        """The provider's proposal, held by the guard (agents/guarded.py): one call, or an
        outline of many chapters in batches; a revision's note from the diff."""
        request = generation_request(job)
        provider = provider_for(self.provider, self.models, job.model)
        codex = Codex.from_json(job.codex)  # empty until read: the codex-free checks apply
        asked = asked_of(request, codex)

        async def produce(failed: tuple[str, ...]) -> Proposal:
            asking = replace(request, codex=codex.as_json(), failed_checks=failed)
            if parts is None or not isinstance(provider, ModelGate):
                return await provider.generate(asking, draft)
            if failed:
                await parts.forget()  # the refused outline's parts are not built on again
            return await batched_outline(provider, asking, parts, draft)

        def check(proposal: Proposal) -> list[Failed]:
            content = proposal.model_dump(mode="json")
            return check_stage(job.stage.value, content, codex, asked, prompt_echoes())

        proposal, _ = await held(produce, check, asked.language)  # a stage has no notes
        if proposal.source is ProposalSource.LLM and request.is_revision:
            content = proposal.model_dump(mode="json")
            note = revision_note(
                request.previous_proposal,
                content,
                asked.language,
                request.feedback,
                offered=request.offered_edits,
            )
            proposal = proposal.model_copy(update={"revision_note": note})
        return proposal

    def _outline_parts(self, job: Job) -> OutlineParts | None:
        total = outline_size(generation_request(job))
        # An unknown model fails in the attempt (UnknownModel), not here, outside it.
        provider = self.models.get(job.model or "", self.provider)
        if total is None or not (isinstance(provider, ModelGate) and provider.outline_writer):
            return None  # a provider that writes no batches answers in one call
        return OutlineParts(self.work.tasks, job, total, getattr(provider, "model", None))

    async def _call_model(
        self, job: Job, cancelled: asyncio.Event, parts: OutlineParts | None
    ) -> Proposal:
        """The provider's proposal, streaming drafts; Cancelled (the call cancelled) once a
        cancelling event came and the task is indeed no longer wanted."""
        streaming = self.streaming
        throttle = streaming.throttle(
            _Counted(streaming.drafts, self.metrics),
            str(job.task.session_id),
            str(job.task.task_id),
            job.stage.value,
        )
        try:
            work = self._proposal(job, throttle, parts)
            proposal = await unless_cancelled(work, cancelled, lambda: self.work.still_wanted(job))
            throttle.flush()  # the final text arrives too
            return proposal
        finally:
            throttle.close()


class _Counted:
    """A DraftSink that counts what it sends."""

    def __init__(self, sink: DraftSink, metrics: AgentMetrics) -> None:
        self.sink, self.metrics = sink, metrics

    def publish(
        self, session_id: str, task_id: str, sequence: int, body: dict[str, object]
    ) -> None:
        self.sink.publish(session_id, task_id, sequence, body)
        self.metrics.drafts.inc()


def generation_request(job: Job) -> GenerationRequest:
    """What the provider needs: the writer's wishes (this request's, else the standing ones),
    earlier stages, and for a revision the writer's feedback and the proposal it is about; a
    regeneration's is the recorded one (issue 55)."""
    if job.replayed is not None:
        replayed = request_from(job.replayed)  # one recorded before issue 76: today's codex
        return replayed if replayed.codex else dataclasses.replace(replayed, codex=job.codex)
    inputs = {**job.wishes, **{key: value for key, value in job.inputs.items() if value}}
    # The writer's idea with the names they have now (a codex rename, issue 76).
    renames = Codex.from_json(job.codex).renames
    asked = inputs.get("feedback") if job.is_revision else None
    return GenerationRequest(
        session_id=job.task.session_id,
        stage=job.stage,
        confirmed_data=dict(job.state.confirmed_data),
        user_input=renamed_everywhere(inputs.get("user_input"), renames),
        preferences=dict(inputs.get("preferences") or {}),
        theme_preferences=tuple(inputs.get("theme_preferences") or ()),
        style_preferences=tuple(inputs.get("style_preferences") or ()),
        feedback=asked,
        previous_proposal=dict(job.state.last_result or {}) if job.is_revision else None,
        codex=dict(job.codex),
        offered_edits=job.offered_edits,
        seed=request_seed(
            job.stage, inputs.get("user_input"), asked, job.request.aggregate_version
        ),
    )


async def with_codex(job: Job) -> Job:
    """`job` with the codex read from the writer's idea when its session has none yet (the
    first proposal's generation; issue 76), or, for a revision, what its feedback says of the
    codex (the people it names that the codex has not; the renames it asks, to offer): read
    off the loop (CPU work)."""
    if job.state.codex:
        feedback = job.inputs.get("feedback") if job.is_revision else None
        if not isinstance(feedback, str):
            return job
        codex = Codex.from_json(job.state.codex)
        added, offered = await asyncio.to_thread(_feedback_read, feedback, codex)
        return dataclasses.replace(job, codex_added=added, offered_edits=offered)
    request = generation_request(job)
    codex = await asyncio.to_thread(read_codex, request.user_input or "")
    # The writer's language, as every generator and the guard read it: a blank idea's script
    # says nothing (its themes or preferences may be Chinese).
    codex = dataclasses.replace(codex, language=writer_language(request))
    return dataclasses.replace(job, codex_read=codex.as_json())


def _feedback_read(
    feedback: str, codex: Codex
) -> tuple[dict[str, tuple[str, ...]], tuple[Mapping[str, str], ...]]:
    return feedback_people(feedback, codex), offered_edits(feedback, codex)


def _reported(provider: object, usage: Usage, seconds: float, attempt: int) -> dict[str, Any]:
    """A proposal's provenance: the model, its prompt's version, the tokens and the time."""
    return {
        "model": getattr(provider, "model", None),
        "prompt_version": getattr(provider, "prompt_version", None),
        **usage.provenance(),
        "latency_ms": round(seconds * 1000, 1),
        "attempts": max(attempt, usage.calls),  # the gate's own retries count too
    }
