"""Request and reply bodies of the flow and event-chain routes (issue 11, docs/flows.md)."""

from datetime import datetime
from typing import Any, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from infinite_scribe.api.schemas.genesis import CommandReply, EventOut
from infinite_scribe.application.ports.flows import FlowHandle
from shared_types.enums import HandleStatus


class ResumeRequest(BaseModel):
    """The writer's reply, sent as this command to the flow's session."""

    model_config = ConfigDict(extra="forbid")

    command_type: Literal["SubmitFeedback", "ConfirmStage"]
    payload: dict[str, Any] = Field(default_factory=dict)


class FlowOut(BaseModel):
    correlation_id: str
    handle_id: UUID
    status: HandleStatus
    session_id: UUID
    stage: str | None
    expires_at: datetime | None
    #: The command that answered the flow (kept or consumed), if any.
    resumed_by: str | None

    @classmethod
    def of(cls, handle: FlowHandle) -> "FlowOut":
        reply = handle.resume_payload or {}
        return cls(
            correlation_id=handle.correlation_id,
            handle_id=handle.handle_id,
            status=handle.status,
            session_id=handle.session_id,
            stage=handle.handle.get("stage"),
            expires_at=handle.expires_at,
            resumed_by=reply.get("command_type"),
        )


class ResumeReply(CommandReply):
    flow: FlowOut


class ChainNode(BaseModel):
    event: EventOut
    children: list["ChainNode"]


class EventChainOut(BaseModel):
    #: What the oldest ancestor names as its cause: the command that started it all.
    root_cause_id: UUID | None
    #: The event's causes, the oldest first.
    ancestors: list[EventOut]
    #: The event and everything it caused.
    tree: ChainNode
    #: A depth or size bound cut the walk short.
    truncated: bool
