"""The one aggregate writer: decide -> evolve -> envelope -> write, for every use case.

Commands (command_service.py), agents' results (agent_work.py), flow moves (flows.py), the
trash (trash.py) and session creation (sessions.py) each load their aggregate their own way
(a command with its key's record, an agent under its task's lock...), then hand the state and
the decided events to `AggregateWriter`: it evolves the state, wraps the events in envelopes,
asks the aggregate's handler which parts its snapshot change writes, adds the parts the use case
declares (inbox row, task, flow handle, ledger row, idempotency record) and writes it all as
one statement through the `AggregateWrites` port, in a transaction or in autocommit.
"""

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, Generic, Protocol, TypeVar
from uuid import UUID

from infinite_scribe.application.ports.writes import AggregateWrites, Write
from infinite_scribe.domain.commands import CommandPayload
from shared_types import EventEnvelope, EventMetadata

S = TypeVar("S")


class DecidedEvent(Protocol):
    """An event a decide function returned: its type and payload (no envelope yet)."""

    @property
    def event_type(self) -> str: ...

    @property
    def payload(self) -> Mapping[str, Any]: ...


class AggregateHandler(Protocol[S]):
    """Decides, evolves and says how one aggregate type's snapshot is written."""

    #: `aggregate_type` of every event it writes (e.g. GENESIS_SESSION).
    aggregate_type: str
    #: The commands it handles: command_type -> payload model.
    commands: Mapping[str, type[CommandPayload]]

    def aggregate_id(self, state: S) -> str: ...

    def version(self, state: S) -> int: ...

    def decide(self, state: S, command: CommandPayload, command_id: UUID) -> Sequence[DecidedEvent]:
        """The events the command causes (raises InvalidState when not allowed now)."""
        ...

    def evolve(self, state: S, decided: Sequence[DecidedEvent]) -> S: ...

    def parts(
        self, before: S, after: S, decided: Sequence[DecidedEvent], supersede_by: str | None
    ) -> Write:
        """The parts that move the snapshot from `before` to `after` (version-checked) and any
        other row the events change; `supersede_by`: a sync command that closes pending ones."""
        ...


@dataclass(frozen=True)
class Origin:
    """What every event of one change shares: its flow, its cause, who wrote it."""

    correlation_id: UUID | None
    causation_id: UUID | None
    metadata: EventMetadata
    #: An actor other than the user (an agent); None: the user.
    actor_id: str | None = None
    #: Event ids derived from the event type (a repeated answer is the same event); None: new.
    event_ids: Callable[[str], UUID] | None = None


def envelopes(
    aggregate_type: str,
    aggregate_id: str,
    version: int,
    decided: Sequence[DecidedEvent],
    origin: Origin,
) -> list[EventEnvelope]:
    """Wrap decided events: the origin caused the first; each later event is caused by the one
    before it (StageConfirmed -> Finished)."""
    result: list[EventEnvelope] = []
    cause = origin.causation_id
    for offset, event in enumerate(decided, start=1):
        fields: dict[str, Any] = {}
        named = getattr(event, "event_id", None)  # decide named it (a codex entry's event)
        if named is not None:
            fields["event_id"] = named
        elif origin.event_ids is not None:
            fields["event_id"] = origin.event_ids(event.event_type)
        envelope = EventEnvelope(
            **fields,
            event_type=event.event_type,
            aggregate_type=aggregate_type,
            aggregate_id=aggregate_id,
            aggregate_version=version + offset,
            actor_id=origin.actor_id,
            correlation_id=origin.correlation_id,
            causation_id=cause,
            payload=dict(event.payload),
            metadata=origin.metadata,
        )
        result.append(envelope)
        cause = envelope.event_id
    return result


@dataclass(frozen=True)
class Change(Generic[S]):
    """One aggregate change, ready to write: its states, its events and every part."""

    before: S
    after: S
    events: list[EventEnvelope]
    write: Write

    def with_parts(self, parts: Write) -> "Change[S]":
        return replace(self, write=self.write.merged(parts))


class AggregateWriter(Generic[S]):
    """The one writer of an aggregate type's changes (module docstring)."""

    def __init__(self, handler: AggregateHandler[S]) -> None:
        self.handler = handler

    def change(
        self,
        before: S,
        decided: Sequence[DecidedEvent],
        origin: Origin,
        *,
        parts: Write | None = None,
        supersede_by: str | None = None,
    ) -> Change[S]:
        """Evolve and wrap (pure): the change `decided` makes to `before`, with `parts`."""
        handler = self.handler
        after = handler.evolve(before, decided)
        events = envelopes(
            handler.aggregate_type,
            handler.aggregate_id(before),
            handler.version(before),
            decided,
            origin,
        )
        write = handler.parts(before, after, decided, supersede_by).merged(Write(events=events))
        if parts is not None:
            write = write.merged(parts)
        return Change(before, after, events, write)

    async def apply(
        self,
        target: AggregateWrites,
        before: S,
        decided: Sequence[DecidedEvent],
        origin: Origin,
        *,
        parts: Write | None = None,
    ) -> Change[S]:
        """`change`, written through `target` (a transaction, or the autocommit writes)."""
        change = self.change(before, decided, origin, parts=parts)
        await target.write(change.write)
        return change
