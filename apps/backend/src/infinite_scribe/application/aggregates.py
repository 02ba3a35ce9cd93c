"""What a command handler for one aggregate implements (genesis sessions are the first).

The core (`command_service.py`) writes the inbox row through `load`, asks `decide`, wraps the
decided events in envelopes, appends them with their outbox rows, applies `evolve`, and lets
`save` move the aggregate's snapshot, all in one unit of work. A new aggregate (a flow's resume
handle) or a new command on an existing one (trash, restore, purge) is a handler, not a change
to the core.
"""

from collections.abc import Mapping, Sequence
from typing import Any, Protocol, TypeVar
from uuid import UUID

from infinite_scribe.application.ports.storage import InboxEntry, Transaction
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
    """Loads, decides, evolves and saves one aggregate type for the commands it owns."""

    #: `aggregate_type` of every event it writes (e.g. GENESIS_SESSION).
    aggregate_type: str
    #: The commands it handles: command_type -> payload model.
    commands: Mapping[str, type[CommandPayload]]

    async def load(self, tx: Transaction, entry: InboxEntry) -> S:
        """Insert the inbox row and load the aggregate in one round trip; raise NotFound when
        the actor may not command it (missing, another user's, trashed...)."""
        ...

    def aggregate_id(self, state: S) -> str: ...

    def version(self, state: S) -> int: ...

    def decide(self, state: S, command: CommandPayload, command_id: UUID) -> Sequence[DecidedEvent]:
        """The events the command causes (raises InvalidState when not allowed now)."""
        ...

    def evolve(self, state: S, decided: Sequence[DecidedEvent]) -> S: ...

    async def save(
        self,
        tx: Transaction,
        before: S,
        after: S,
        decided: Sequence[DecidedEvent],
        command_type: str,
        is_async: bool,
    ) -> None:
        """Move the snapshot from `before` to `after` (version-checked: ConcurrencyConflict when
        it moved meanwhile) and any other row the command changes."""
        ...


def envelopes(
    aggregate_type: str,
    aggregate_id: str,
    version: int,
    decided: Sequence[DecidedEvent],
    command_id: UUID,
    metadata: EventMetadata,
) -> list[EventEnvelope]:
    """Wrap decided events: the command starts the flow; each later event is caused by the
    one before it (StageConfirmed -> Finished)."""
    result: list[EventEnvelope] = []
    cause = command_id
    for offset, event in enumerate(decided, start=1):
        envelope = EventEnvelope(
            event_type=event.event_type,
            aggregate_type=aggregate_type,
            aggregate_id=aggregate_id,
            aggregate_version=version + offset,
            correlation_id=command_id,
            causation_id=cause,
            payload=dict(event.payload),
            metadata=metadata,
        )
        result.append(envelope)
        cause = envelope.event_id
    return result
