"""What an agent does with a generation request, as use cases: begin (task RUNNING, command
PROCESSING, the session and the writer's requests read, one statement), report progress, and
finish with a proposal or a failure. Each finish is one statement in autocommit (the aggregate
writer): the ledger row (dedupe), the `...Proposed` / `...Failed` event with its outbox row,
the task and command moves (refused for a task cancelled meanwhile), the session snapshot and,
for a proposal, the flow's handle PAUSED with its FlowPaused event; all or nothing.
"""

import contextlib
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from infinite_scribe.application.aggregates import Change, Origin
from infinite_scribe.application.flows import FlowControl
from infinite_scribe.application.genesis_commands import SESSIONS
from infinite_scribe.application.ports.genesis import GENESIS_SESSIONS
from infinite_scribe.application.ports.storage import UnitOfWork
from infinite_scribe.application.ports.tasks import TaskQueries, TaskRecord
from infinite_scribe.application.ports.writes import (
    AlreadyProcessed,
    EventAlreadyStored,
    FlowAlreadyWaiting,
    LedgerRow,
    ProposalInput,
    TaskFinish,
    TaskNotRunning,
    Write,
)
from infinite_scribe.application.retries import with_retries
from infinite_scribe.domain.codex import grown
from infinite_scribe.domain.errors import ConcurrencyConflict, EventIdConflict
from infinite_scribe.domain.genesis import (
    FEEDBACK_SUBMITTED,
    REGENERATION_REQUESTED,
    Decided,
    GenesisState,
    failure_event_for,
    proposal_event_for,
)
from infinite_scribe.domain.history import PROVENANCE_FIELDS
from infinite_scribe.domain.wishes import prompt_inputs, writer_wishes
from shared_types import EventEnvelope, EventMetadata
from shared_types.enums import GenesisStage, TaskStatus

#: Event ids of an agent's answers are derived from the request's id, so a repeated answer to
#: one request is the same event (the event bus refuses to store it twice).
_ANSWER_NAMESPACE = uuid.UUID("6f1c3c8e-6a55-4d3e-9a8e-2f6d2f0f7a11")
#: A write with no parts: what an answer adds when it adds nothing.
_NOTHING = Write()


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
    #: The event ids the prompt is built from (a proposal's provenance `inputs`).
    sources: tuple[str, ...] = ()
    #: A regeneration's: the recorded request it generates from (None: none was recorded) and
    #: the model it names (issue 55).
    replayed: Mapping[str, Any] | None = None
    model: str | None = None
    #: The codex read from the idea for this generation, when the session had none yet: it
    #: is recorded in the proposal's event (issue 76).
    codex_read: Mapping[str, Any] | None = None
    #: The people a revision's feedback names that the codex has not, with the words it
    #: describes them with (issue 76): the generation is held to them, and a completed
    #: proposal's event adds them to the codex.
    codex_added: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    #: The codex edits the feedback asks for, offered to the writer with the proposal (not
    #: made: the codex is the writer's, corrected by EditCodex; issue 76).
    offered_edits: tuple[Mapping[str, str], ...] = ()

    @property
    def codex(self) -> Mapping[str, Any]:
        """The codex the generation is held to: the session's, else the one just read, with
        the people the feedback named."""
        held = self.state.codex or self.codex_read or {}
        if not self.codex_added:
            return held
        return grown(held, self.codex_added, str(self.request.event_id)).as_json()

    @property
    def is_replay(self) -> bool:
        return self.request.event_type == REGENERATION_REQUESTED

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
        has a finished task (both are written in one statement), which this finds. One
        statement in autocommit (issue 40): the task started (only a PENDING or RUNNING one;
        a second worker's copy of the request waits on the row's lock for the first one's
        finish), the session and the writer's requests read. (A session gone meanwhile leaves
        the task RUNNING: the re-drive sweeper finds it, as it found it PENDING.)"""
        started = await self.tasks.start_with_session(request.event_id)
        if started is None or started.session is None:
            return None
        task, state = started.task, started.session.state
        stage = GenesisStage(request.payload.get("stage", state.current_stage))
        # Every job reads them, a concept request too: what the writer gave at creation
        # (initial_user_input) stands under what a request says itself.
        found = started.requests
        wishes = writer_wishes([(kind, payload) for _, kind, payload in found], stage)
        sources = prompt_inputs(found, stage, state.confirmed_data, request.event_id)
        job = Job(request, task, stage, state, wishes, tuple(sources))
        return await self._replay(job) if request.event_type == REGENERATION_REQUESTED else job

    async def _replay(self, job: Job) -> Job:
        """A regeneration's job: the recorded request of the proposal it names (the command
        found it; gone since, with a purge racing it, the session's own inputs stand in)."""
        named = uuid.UUID(str(job.request.payload["event_id"]))
        async with self.uow.autocommit() as tx:
            sessions = tx.repository(GENESIS_SESSIONS)
            recorded = await sessions.proposal_input(job.task.session_id, named)
        return replace(
            job,
            sources=(str(named), str(job.request.event_id)),
            replayed=None if recorded is None else recorded.request,
            model=str(job.request.payload.get("model")),
        )

    async def heartbeat(self, task_ids: list[uuid.UUID]) -> None:
        """Every generation of this process in one statement (the re-drive sweeper skips
        them); no NOTIFY, nothing a follower needs to see."""
        if task_ids:
            await self.tasks.touch(task_ids)

    async def tell(self, messages: Mapping[uuid.UUID, str]) -> None:
        """Running tasks' messages: which attempt, why the last failed, what they wait for."""
        if messages:
            await self.tasks.tell(messages)

    async def still_wanted(self, job: Job) -> bool:
        """False once the task was cancelled (confirm, abandon) or finished elsewhere."""
        view = await self.tasks.task(job.task.task_id, job.task.user_id)
        return view is not None and view.status in (TaskStatus.PENDING, TaskStatus.RUNNING)

    async def propose(
        self,
        job: Job,
        proposal: dict[str, Any],
        provider: str,
        provenance: Mapping[str, Any] | None = None,
        recorded: tuple[Mapping[str, Any], Sequence[Mapping[str, str]] | None] | None = None,
    ) -> bool:
        """Publish the proposal and complete task and command; False if it was a repeat.
        `provenance`: what the generation reports about itself (model, tokens, time...); the
        inputs the prompt used are the job's."""
        if job.offered_edits:
            proposal = {**proposal, "offered_edits": [dict(edit) for edit in job.offered_edits]}
        payload = {
            "stage": job.stage.value,
            "result": proposal,
            "task_id": str(job.task.task_id),
            "command_id": str(job.task.command_id),
            "provider": provider,
            "revision": job.is_revision,
            "provenance": provenance_of(job, provider, provenance or {}),
        }
        event_type = proposal_event_for(job.stage)
        # The task's result says its stage, as clients read proposals (api/schemas/proposals.py).
        result = {"stage": job.stage.value, **proposal}
        outcome = {"result": result, "message": f"{event_type} by {provider}"}
        extra = _NOTHING
        if recorded is not None:  # what it was generated from, beside it (issue 55)
            event_id = _answer_id(job.request, event_type)
            found = ProposalInput(event_id, job.task.session_id, recorded[0], recorded[1])
            extra = Write(proposal_input=found)
        return await self._finish(job, event_type, payload, TaskStatus.COMPLETED, outcome, extra)

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
        extra: Write = _NOTHING,
    ) -> bool:
        """One statement in autocommit (issue 40), optimistic: the answer is written on the
        session as the begin read it (its version the expected one); the task finish refuses
        a task cancelled meanwhile (TaskNotRunning: the ledger row alone), and a session moved
        meanwhile (ConcurrencyConflict) is read again and the answer run again."""
        ledger = Write(ledger=LedgerRow(self.consumer, job.request.event_id))
        parts = ledger.merged(extra).merged(Write(task_finish=_task_finish(job, status, outcome)))
        state, waiting = job.state, False
        origin = answer_origin(job.request, job.task, self.source_service)

        async def attempt(number: int) -> None:
            nonlocal state, waiting
            if number > 1:  # lost the optimistic race: the session as it is now
                state = await self._session(job)
            decided = [Decided(event_type, payload | _codex_read(job, state, status))]
            change = SESSIONS.change(state, decided, origin, parts=parts)
            if status is TaskStatus.COMPLETED and job.stage is state.current_stage:
                try:
                    await self.uow.writes.write(self._with_pause(job, change).write)
                    return
                except FlowAlreadyWaiting:
                    # The flow waits on an earlier handle: the answer goes without a pause of
                    # its own (as the PENDING_PAUSE insert was a no-op), that handle lands.
                    waiting = True
            await self.uow.writes.write(change.write)

        try:
            await with_retries(attempt)
        except TaskNotRunning:
            # Cancelled meanwhile (confirm, abandon): handled, nothing to publish.
            with contextlib.suppress(AlreadyProcessed):
                await self.uow.writes.write(ledger)
            return False
        except (AlreadyProcessed, EventAlreadyStored, EventIdConflict):
            # A redelivery: this consumer (or another) answered the request. The answer's
            # event ids derive from the request's, so a stored one with other content (a
            # second generation, or the FlowPaused's later expiry) is an earlier answer too:
            # the events' refusal is reported before the finished task's (PART_ORDER).
            return False
        if waiting:
            await self.pause_landed(job)
        return True

    async def _session(self, job: Job) -> GenesisState:
        async with self.uow.autocommit() as tx:
            snapshot = await tx.repository(GENESIS_SESSIONS).load(job.task.session_id)
        if snapshot is None:
            raise ConcurrencyConflict("The session disappeared")
        return snapshot.state

    def _with_pause(self, job: Job, change: Change[GenesisState]) -> Change[GenesisState]:
        """The proposal's flow waits for the writer: its handle, PAUSED, and its FlowPaused
        event join the write. Only for a proposal the writer sees as the session's last result
        (evolve ignores a late one for a stage the session has left; flow_replies.py skips
        sessions with none)."""
        if self.flows is None:
            return change
        handle = _pause_handle(job, change.events[0])
        correlation = str(job.request.correlation_id)
        return self.flows.pause_with(change, correlation, handle, job.request.event_id)

    async def pause_landed(self, job: Job) -> None:
        """The proposal is out and this worker is done with the flow: it now waits."""
        if self.flows is not None:
            await self.flows.pause_landed(str(job.request.correlation_id))


def answer_origin(request: EventEnvelope, task: TaskRecord, source_service: str) -> Origin:
    """Where an agent's answer to `request` comes from: the request's flow, caused by it,
    written by the agent for the task's user, with ids derived from the request's (a
    repeated answer to one request is the same event, stored once)."""
    return Origin(
        correlation_id=request.correlation_id,
        causation_id=request.event_id,
        metadata=EventMetadata(
            user_id=str(task.user_id),
            source_service=source_service,
            request_id=request.metadata.request_id,
            traceparent=request.metadata.traceparent,
        ),
        actor_id=f"agent:{source_service}",
        event_ids=lambda event_type: _answer_id(request, event_type),
    )


def _codex_read(job: Job, state: GenesisState, status: TaskStatus) -> dict[str, Any]:
    """The codex read from the idea, recorded in the first proposal's event (once: a session
    that has one keeps it; the writer corrects it with EditCodex), and the people a feedback
    named added to the session's codex as it is at the finish (an edit made meanwhile kept).
    In the proposal's event, not one of its own: the state right after that version holds it
    (a rollback to it)."""
    if status is not TaskStatus.COMPLETED:
        return {}
    if job.codex_added and state.codex:
        codex = grown(state.codex, job.codex_added, str(job.request.event_id))
        return {} if codex.as_json() == state.codex else {"codex": codex.as_json()}
    if job.codex_read is None or state.codex:
        return {}
    return {"codex": dict(job.codex_read)}


def _answer_id(request: EventEnvelope, event_type: str) -> uuid.UUID:
    return uuid.uuid5(_ANSWER_NAMESPACE, f"{request.event_id}:{event_type}")


def _task_finish(job: Job, status: TaskStatus, outcome: dict[str, Any]) -> TaskFinish:
    result, error = outcome.get("result"), outcome.get("error")
    return TaskFinish(job.task.task_id, status.value, result, error, outcome["message"])


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


#: The provenance fields a generation reports; the provider, the inputs and what a replay
#: replays are the worker's own.
_REPORTED = tuple(f for f in PROVENANCE_FIELDS if f not in {"provider", "inputs", "replay_of"})


def provenance_of(job: Job, provider: str, reported: Mapping[str, Any]) -> dict[str, Any]:
    """A proposal's provenance: what the generation reported (null where it did not), the
    provider that wrote it and the events its prompt used."""
    found = {name: reported.get(name) for name in _REPORTED}
    provenance = {"provider": provider, **found, "inputs": list(job.sources)}
    if job.is_replay:  # the proposal it was generated again from (issue 55)
        provenance["replay_of"] = str(job.request.payload.get("event_id"))
    return provenance
