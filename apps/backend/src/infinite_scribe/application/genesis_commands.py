"""The genesis session aggregate's command handler: the first `AggregateHandler`."""

from collections.abc import Mapping, Sequence
from uuid import UUID, uuid4

from infinite_scribe.application.aggregates import DecidedEvent
from infinite_scribe.application.ports.storage import (
    GENESIS_SESSIONS,
    InboxEntry,
    SessionSnapshot,
    Transaction,
)
from infinite_scribe.domain.commands import PAYLOAD_MODELS, CommandIds, CommandPayload
from infinite_scribe.domain.errors import ConcurrencyConflict, NotFound, SessionTrashed
from infinite_scribe.domain.genesis import (
    AGGREGATE_TYPE,
    FINISHED,
    GenesisState,
    decide,
    evolve,
)
from infinite_scribe.domain.novel import novel_bible


def owned(snapshot: SessionSnapshot | None) -> SessionSnapshot:
    """The session the user may read (a trashed one too); missing or another user's: 404."""
    if snapshot is None:
        raise NotFound("Genesis session not found")
    return snapshot


def visible(snapshot: SessionSnapshot | None) -> GenesisState:
    """The session the user may command: a trashed one answers 409 SESSION_TRASHED (its inbox
    row rolls back with the refused command) until it is restored (application/trash.py)."""
    session = owned(snapshot)
    if session.trashed:
        raise SessionTrashed("The session is in the trash; restore it to send commands")
    return session.state


class GenesisCommands:
    """Loads the snapshot with the inbox row, decides with the stage machine, saves the
    snapshot (and the novel when the flow finishes)."""

    aggregate_type = AGGREGATE_TYPE
    commands: Mapping[str, type[CommandPayload]] = PAYLOAD_MODELS

    async def load(self, tx: Transaction, entry: InboxEntry) -> GenesisState:
        return visible(await tx.repository(GENESIS_SESSIONS).insert_command_and_load(entry))

    def aggregate_id(self, state: GenesisState) -> str:
        return str(state.session_id)

    def version(self, state: GenesisState) -> int:
        return state.version

    def decide(
        self, state: GenesisState, command: CommandPayload, command_id: UUID
    ) -> Sequence[DecidedEvent]:
        return decide(state, command, CommandIds(command_id=command_id, novel_id=uuid4()))

    def evolve(self, state: GenesisState, decided: Sequence[DecidedEvent]) -> GenesisState:
        for event in decided:
            state = evolve(state, event.event_type, event.payload)
        return state

    async def save(
        self,
        tx: Transaction,
        before: GenesisState,
        after: GenesisState,
        decided: Sequence[DecidedEvent],
        command_type: str,
        is_async: bool,
    ) -> None:
        sessions = tx.repository(GENESIS_SESSIONS)
        if before.is_pending and not is_async:
            await sessions.supersede_pending(before.session_id, command_type)
        if after.novel_id is not None and any(e.event_type == FINISHED for e in decided):
            bible = novel_bible(after.confirmed_data)
            await sessions.insert_novel(after.novel_id, after.user_id, bible)
        if not await sessions.save(before.version, after):
            raise ConcurrencyConflict("The session was changed concurrently")
