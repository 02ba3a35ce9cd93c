"""The agent's message handler: a generation request in, a proposal (or a failure) out.

Other event types are dropped by their `ce_type` header before the value is even parsed. A
provider failure is retried with backoff a bounded number of times; then the task and command
fail, a `...Failed` event tells the session, and the message is copied to the dead-letter topic.
"""

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from infinite_scribe.agents.llm.port import GenerationError, GenerationRequest, LLMProvider
from infinite_scribe.agents.metrics import AgentMetrics
from infinite_scribe.application.agent_work import AgentWork, Job
from infinite_scribe.domain.genesis import GENERATION_REQUEST_EVENTS
from infinite_scribe.kafka.consumer import Delivery
from infinite_scribe.kafka.consumer_tracing import consume_span, in_current_trace
from infinite_scribe.kafka.dead_letters import DeadLetters
from infinite_scribe.observability.log_context import bind, log_scope
from shared_types import EventEnvelope

logger = logging.getLogger(__name__)


class GenerationHandler:
    """Handles one delivery at a time (the consumer keeps per-partition order)."""

    def __init__(
        self,
        work: AgentWork,
        provider: LLMProvider,
        dead_letters: DeadLetters,
        metrics: AgentMetrics,
        *,
        attempts: int,
        backoff_seconds: float,
        heartbeat_seconds: float,
    ) -> None:
        self.work = work
        self.provider = provider
        self.dead_letters = dead_letters
        self.metrics = metrics
        self.attempts = attempts
        self.backoff_seconds = backoff_seconds
        self.heartbeat_seconds = heartbeat_seconds

    async def __call__(self, delivery: Delivery) -> None:
        if delivery.header("ce_type") not in GENERATION_REQUEST_EVENTS:
            self.metrics.ignored.inc()
            return
        with consume_span(delivery, self.work.consumer), log_scope():
            request = EventEnvelope.model_validate_json(delivery.value or b"")  # invalid: poison
            bind(
                request_id=request.metadata.request_id,
                user_id=request.metadata.user_id,
                session_id=request.aggregate_id,
                correlation_id=request.correlation_id,
            )
            await self._answer(delivery, in_current_trace(request))

    async def _answer(self, delivery: Delivery, request: EventEnvelope) -> None:
        job = await self.work.begin(request)
        if job is None:
            self.metrics.skipped.inc()
            return
        started = time.monotonic()
        async with self._heartbeat(job):
            await self._generate(delivery, job)
        self.metrics.duration.observe(time.monotonic() - started)

    async def _generate(self, delivery: Delivery, job: Job) -> None:
        for attempt in range(1, self.attempts + 1):
            try:
                proposal = await self.provider.generate(
                    generation_request(job), progress=lambda p, m: self.work.progress(job, p, m)
                )
            except GenerationError as error:
                if error.retryable and attempt < self.attempts:
                    logger.warning("generation attempt %d failed: %s; retrying", attempt, error)
                    self.metrics.retries.inc()
                    await asyncio.sleep(self.backoff_seconds * 2 ** (attempt - 1))
                    continue
                await self._give_up(delivery, job, error, attempt)
                return
            proposal_data = proposal.model_dump(mode="json")
            if await self.work.propose(job, proposal_data, self.provider.name):
                self.metrics.handled.inc()
                logger.info("task %s answered (%s)", job.task.task_id, self.provider.name)
                # Best effort: if this fails, the flow sweeper lands the pause later.
                try:
                    await self.work.pause_landed(job)
                except Exception as error:
                    logger.warning(
                        "pause of flow %s not landed: %s", job.task.correlation_id, error
                    )
            else:  # cancelled meanwhile (confirm, abandon) or already answered: nothing sent
                self.metrics.skipped.inc()
            return

    async def _give_up(
        self, delivery: Delivery, job: Job, error: GenerationError, attempts: int
    ) -> None:
        logger.error("generation for task %s failed for good: %s", job.task.task_id, error)
        # The dead letter first: if recording the failure then fails, the redelivery finds the
        # task still running and tries again (a second dead letter rather than none).
        await self.dead_letters.send(delivery, error.code, str(error))
        await self.work.fail(job, error.code, str(error), attempts)
        self.metrics.failed.inc()

    @asynccontextmanager
    async def _heartbeat(self, job: Job) -> AsyncIterator[None]:
        """Touch the task while generating so the re-drive sweeper leaves it alone."""

        async def beat() -> None:
            while True:
                await asyncio.sleep(self.heartbeat_seconds)
                with contextlib.suppress(Exception):
                    await self.work.progress(job, 50, "generating")

        task = asyncio.create_task(beat())
        try:
            yield
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task


def generation_request(job: Job) -> GenerationRequest:
    """What the provider needs: the request's inputs, earlier stages, and for a revision the
    writer's feedback and the proposal it is about."""
    inputs = job.inputs
    return GenerationRequest(
        session_id=job.task.session_id,
        stage=job.stage,
        confirmed_data=dict(job.state.confirmed_data),
        user_input=inputs.get("user_input"),
        preferences=dict(inputs.get("preferences") or {}),
        theme_preferences=tuple(inputs.get("theme_preferences") or ()),
        style_preferences=tuple(inputs.get("style_preferences") or ()),
        feedback=inputs.get("feedback") if job.is_revision else None,
        previous_proposal=dict(job.state.last_result or {}) if job.is_revision else None,
    )
