"""The writer's reply to a paused flow: a command on the session (`ResumeOnReply`, run inside
the command's transaction) or `POST /flows/{correlation_id}/resume` (`FlowReplies.resume`),
which sends the reply as that command and insists that it resumes this very flow.

The reply is what the flow continues with: SubmitFeedback is a new generation request (the
agents revise the proposal), ConfirmStage moves the session on, a new generation request or
AbandonSession ends the wait too. So the handle only records who answered and when; the
continuation is the reply command's own events, committed in the same transaction.
"""

from collections.abc import Sequence
from dataclasses import replace
from typing import Any
from uuid import UUID

from infinite_scribe.application.command_service import CommandResult, CommandService
from infinite_scribe.application.context import RequestContext
from infinite_scribe.application.flows import FlowControl
from infinite_scribe.application.ports.flows import FLOW_HANDLES, FlowHandle, FlowHandleQueries
from infinite_scribe.application.ports.storage import InboxEntry, Transaction
from infinite_scribe.domain.errors import FlowHandleNotFound, InvalidPayload, NotFound
from infinite_scribe.domain.flows import on_resume
from infinite_scribe.domain.genesis import GenesisState
from shared_types import EventEnvelope

#: The session commands that answer a paused flow.
REPLY_COMMANDS = frozenset(
    {
        "SubmitFeedback",
        "ConfirmStage",
        "RequestConceptGeneration",
        "RequestStageGeneration",
        "AbandonSession",
    }
)
#: What `POST /flows/{id}/resume` accepts as the reply.
RESUME_COMMANDS = ("SubmitFeedback", "ConfirmStage")


class ResumeOnReply:
    """A command reaction: a reply command on a session resumes its waiting flows."""

    def __init__(self, flows: FlowControl) -> None:
        self.flows = flows

    def wants(self, context: RequestContext, entry: InboxEntry, before: Any) -> bool:
        """A flow waits only on a proposal, and a proposal for the current stage is the
        session's `last_result` until a reply moves on: no proposal, no waiting flow. So most
        commands need no handle query and no transaction (they are written in autocommit)."""
        if entry.command_type not in REPLY_COMMANDS:
            return False
        if context.resumes_flow is not None:
            return True
        return not (isinstance(before, GenesisState) and before.last_result is None)

    async def __call__(
        self,
        tx: Transaction,
        context: RequestContext,
        entry: InboxEntry,
        before: Any,
        events: Sequence[EventEnvelope],
    ) -> None:
        if not events or not self.wants(context, entry, before):
            return
        expected = context.resumes_flow
        handles = tx.repository(FLOW_HANDLES)
        waiting = await handles.lock_waiting_of_session(entry.aggregate_id)
        if expected is not None and expected not in {h.correlation_id for h in waiting}:
            await _refuse(tx, expected, context.user_id)
        reply = _reply(entry, events[0])
        for handle in waiting:
            # A reply kept earlier for a pause in flight already answered that flow.
            if handle.resume_payload is None or handle.correlation_id == expected:
                await self.flows.resume_in(tx, handle, reply, context.metadata())


async def _refuse(tx: Transaction, correlation_id: str, user_id: UUID) -> None:
    """The flow the request names is not waiting: say why (409), inside the transaction."""
    handle = await tx.repository(FLOW_HANDLES).lock(correlation_id)
    if handle is None or handle.user_id != user_id:
        on_resume(None, None)
    else:
        on_resume(handle.status, handle.resume_payload)
    raise FlowHandleNotFound("The flow does not wait on this session")


def _reply(entry: InboxEntry, first_event: EventEnvelope) -> dict[str, Any]:
    return {
        "command_type": entry.command_type,
        "command_id": str(entry.command_id),
        "reply_event_id": str(first_event.event_id),
        "user_id": str(entry.user_id),
        "payload": entry.payload,
    }


class FlowReplies:
    """The flow use cases of the HTTP API."""

    def __init__(self, commands: CommandService, queries: FlowHandleQueries) -> None:
        self.commands = commands
        self.queries = queries

    async def view(self, correlation_id: UUID, user_id: UUID) -> FlowHandle:
        """The user's handle of the flow, to read (404 when none: unknown or another user's)."""
        handle = await self.queries.handle_for(str(correlation_id), user_id)
        if handle is None:
            raise NotFound("No flow handle with this correlation id")
        return handle

    async def handle(self, correlation_id: UUID, user_id: UUID) -> FlowHandle:
        """The user's handle of the flow, to resume (404 when none, as `view`)."""
        handle = await self.queries.handle_for(str(correlation_id), user_id)
        if handle is None:
            raise FlowHandleNotFound("No paused flow with this correlation id")
        return handle

    async def resume(
        self,
        context: RequestContext,
        correlation_id: UUID,
        command_type: str,
        payload: dict[str, Any] | None,
        idempotency_key: str | None,
    ) -> tuple[CommandResult, FlowHandle]:
        """Send the reply command to the flow's session; it must resume this flow (else the
        command rolls back with the 409 that says why)."""
        if command_type not in RESUME_COMMANDS:
            raise InvalidPayload(
                f"A flow is resumed with one of {', '.join(RESUME_COMMANDS)}",
                errors=[{"loc": ["body", "command_type"], "msg": "not a reply", "type": "enum"}],
            )
        handle = await self.handle(correlation_id, context.user_id)
        on_resume(handle.status, handle.resume_payload)  # the cheap refusal before any write
        flow_context = replace(context, resumes_flow=str(correlation_id))
        result = await self.commands.execute(
            flow_context, handle.session_id, command_type, payload, idempotency_key
        )
        return result, await self.handle(correlation_id, context.user_id)
