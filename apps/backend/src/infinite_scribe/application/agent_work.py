"""What an agent does with a generation request, as use cases: begin (task RUNNING, command
PROCESSING), report progress, and finish with a proposal or a failure. Each finish is one
transaction: the ledger row (dedupe), the `...Proposed` / `...Failed` event with its outbox row,
the task and command moves and the session snapshot, all or nothing.
"""

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from infinite_scribe.application.flows import FlowControl
from infinite_scribe.application.ports.storage import GENESIS_SESSIONS, Transaction, UnitOfWork
from infinite_scribe.application.ports.tasks import (
    ASYNC_TASKS,
    PROCESSED_MESSAGES,
    TaskQueries,
    TaskRecord,
)
from infinite_scribe.application.retries import with_retries
from infinite_scribe.domain.errors import ConcurrencyConflict
from infinite_scribe.domain.genesis import (
    AGGREGATE_TYPE,
    CONCEPT_GENERATION_REQUESTED,
    FEEDBACK_SUBMITTED,
    GenesisState,
    evolve,
    failure_event_for,
    proposal_event_for,
    writer_wishes,
)
from shared_types import EventEnvelope, EventMetadata
from shared_types.enums import GenesisStage, TaskStatus

#: Event ids of an agent's answers are derived from the request's id, so a repeated answer to
#: one request is the same event (the event bus refuses to store it twice).
_ANSWER_NAMESPACE = uuid.UUID("6f1c3c8e-6a55-4d3e-9a8e-2f6d2f0f7a11")


@dataclass(frozen=True)
class Job:
    """A generation request an agent has begun: the request, its task and the session."""

    request: EventEnvelope
    task: TaskRecord
    stage: GenesisStage
    state: GenesisState
    #: The writer's standing wishes (domain.genesis.writer_wishes) a revision or a later
    #: stage's request does not repeat.
    wishes: Mapping[str, Any] = field(default_factory=dict)

    @property
    def is_revision(self) -> bool:
        return self.request.event_type == FEEDBACK_SUBMITTED

    @property
    def inputs(self) -> Mapping[str, Any]:
        return self.request.payload


class AgentWork:
    """The agent's use cases on the unit of work; `consumer` names its dedupe ledger."""

    def __init__(
        self,
        uow: UnitOfWork,
        tasks: TaskQueries,
        consumer: str,
        source_service: str,
        flows: FlowControl | None = None,
    ) -> None:
        self.uow = uow
        self.tasks = tasks
        self.consumer = consumer
        self.source_service = source_service
        #: When set, a proposal pauses its flow until the writer replies (docs/flows.md).
        self.flows = flows

    async def begin(self, request: EventEnvelope) -> Job | None:
        """Start the request's task; None when there is nothing to do (already handled,
        cancelled, unknown task or session). No separate ledger read: a request in the ledger
        has a finished task (both are written in one transaction), which this finds."""
        async with self.uow.transaction() as tx:
            task = await tx.repository(ASYNC_TASKS).lock_for_event(request.event_id)
            if task is None or task.status not in (TaskStatus.PENDING, TaskStatus.RUNNING):
                return None
            snapshot = await tx.repository(GENESIS_SESSIONS).load(task.session_id)
            if snapshot is None:
                return None
            await tx.repository(ASYNC_TASKS).start(task.task_id)
        stage = GenesisStage(request.payload.get("stage", snapshot.state.current_stage))
        wishes: dict[str, Any] = {}
        if request.event_type != CONCEPT_GENERATION_REQUESTED:  # that one carries its own
            requests = await self.tasks.generation_requests(task.session_id)
            wishes = writer_wishes(requests, stage)
        return Job(request, task, stage, snapshot.state, wishes)

    async def progress(self, job: Job, percent: float, message: str) -> None:
        await self.tasks.report_progress(job.task.task_id, percent, message)

    async def heartbeat(self, task_ids: list[uuid.UUID]) -> None:
        """Every generation of this process in one statement (the re-drive sweeper skips
        them); no NOTIFY, nothing a follower needs to see."""
        if task_ids:
            await self.tasks.touch(task_ids)

    async def still_wanted(self, job: Job) -> bool:
        """False once the task was cancelled (confirm, abandon) or finished elsewhere."""
        view = await self.tasks.task(job.task.task_id, job.task.user_id)
        return view is not None and view.status in (TaskStatus.PENDING, TaskStatus.RUNNING)

    async def propose(self, job: Job, proposal: dict[str, Any], provider: str) -> bool:
        """Publish the proposal and complete task and command; False if it was a repeat."""
        payload = {
            "stage": job.stage.value,
            "result": proposal,
            "task_id": str(job.task.task_id),
            "command_id": str(job.task.command_id),
            "provider": provider,
            "revision": job.is_revision,
        }
        event_type = proposal_event_for(job.stage)
        # The task's result says its stage, as clients read proposals (api/proposal_schemas.py).
        result = {"stage": job.stage.value, **proposal}
        outcome = {"result": result, "message": f"{event_type} by {provider}"}
        return await self._finish(job, event_type, payload, TaskStatus.COMPLETED, outcome)

    async def fail(self, job: Job, error_code: str, error: str, attempts: int) -> bool:
        """Publish the failure and fail task and command (the writer may ask again)."""
        payload = {
            "stage": job.stage.value,
            "task_id": str(job.task.task_id),
            "command_id": str(job.task.command_id),
            "error_code": error_code,
            "error": error[:2000],
            "attempts": attempts,
        }
        outcome = {"error": {"code": error_code, "message": error[:2000]}, "message": "failed"}
        return await self._finish(
            job, failure_event_for(job.stage), payload, TaskStatus.FAILED, outcome
        )

    async def _finish(
        self,
        job: Job,
        event_type: str,
        payload: dict[str, Any],
        status: TaskStatus,
        outcome: dict[str, Any],
    ) -> bool:
        async def attempt(number: int) -> bool:
            async with self.uow.transaction() as tx:
                if not await tx.repository(PROCESSED_MESSAGES).record(
                    self.consumer, job.request.event_id
                ):
                    return False
                task = await tx.repository(ASYNC_TASKS).lock_for_event(job.request.event_id)
                if task is None or task.status not in (TaskStatus.PENDING, TaskStatus.RUNNING):
                    return False  # cancelled meanwhile (confirm, abandon): nothing to publish
                event, became_last_result = await self._publish(tx, job, event_type, payload)
                # The flow waits on a proposal the writer sees as the session's last result
                # (flow_replies.py relies on it to skip sessions with none).
                # Registered and landed here: no second transaction per request.
                if status is TaskStatus.COMPLETED and became_last_result and self.flows:
                    handle = await self.flows.register_in(
                        tx, str(job.request.correlation_id), _pause_handle(job, event)
                    )
                    await self.flows.land_in(tx, handle)
                await tx.repository(ASYNC_TASKS).finish(
                    task.task_id,
                    status.value,
                    result=outcome.get("result"),
                    error=outcome.get("error"),
                    message=outcome["message"],
                )
            return True

        return await with_retries(attempt)

    async def pause_landed(self, job: Job) -> None:
        """The proposal is out and this worker is done with the flow: it now waits."""
        if self.flows is not None:
            await self.flows.pause_landed(str(job.request.correlation_id))

    async def _publish(
        self, tx: Transaction, job: Job, event_type: str, payload: dict[str, Any]
    ) -> tuple[EventEnvelope, bool]:
        sessions = tx.repository(GENESIS_SESSIONS)
        snapshot = await sessions.load(job.task.session_id)
        if snapshot is None:
            raise ConcurrencyConflict("The session disappeared")
        state = snapshot.state
        after = evolve(state, event_type, payload)
        event = EventEnvelope(
            event_id=uuid.uuid5(_ANSWER_NAMESPACE, f"{job.request.event_id}:{event_type}"),
            event_type=event_type,
            aggregate_type=AGGREGATE_TYPE,
            aggregate_id=str(state.session_id),
            aggregate_version=after.version,
            actor_id=f"agent:{self.source_service}",
            correlation_id=job.request.correlation_id,
            causation_id=job.request.event_id,
            payload=payload,
            metadata=EventMetadata(
                user_id=str(job.task.user_id),
                source_service=self.source_service,
                request_id=job.request.metadata.request_id,
                traceparent=job.request.metadata.traceparent,
            ),
        )
        published = await tx.publish(event)  # the agents' one write path: idempotent by id
        if published.is_new and not await sessions.save(state.version, after):
            raise ConcurrencyConflict("The session was changed concurrently")
        # evolve ignores a proposal for a stage the session has left (a late one)
        return published.event, published.is_new and job.stage is state.current_stage


def _pause_handle(job: Job, proposal: EventEnvelope) -> dict[str, Any]:
    """Where the flow stops: what a resume needs to find the session and say what it answers."""
    return {
        "session_id": str(job.task.session_id),
        "user_id": str(job.task.user_id),
        "stage": job.stage.value,
        "task_id": str(job.task.task_id),
        "command_id": str(job.task.command_id),
        "request_event_id": str(job.request.event_id),
        "proposal_event_id": str(proposal.event_id),
        "awaits": "writer_reply",
    }
